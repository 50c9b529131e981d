"""Email: one message per department carrying its fill-in workbook, and reminders to those missing
or rejected (outgoing); the mailbox read over IMAP (imap), merged and answered exactly once (fetch,
ledger) with a receipt per message (receipts).
"""
