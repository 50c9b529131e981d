"""Email: one message per department carrying its fill-in workbook, and reminders to those missing
or rejected (outgoing).
"""
