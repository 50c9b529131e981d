"""What people read: the consolidated progress workbook (report, report_book, report_sheets,
report_co) and the printable briefing pack with its charts (brief, charts), rendered from
editable templates through one strict, autoescaping path (template).
"""
