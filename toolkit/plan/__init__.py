"""The plan: the master workbook's format, reader, writer and checks (workbook, format, check),
building the bundled plan from its published text (seed, build), importing a published plan
table (published), a blank master workbook for next year (blank), and indicator suggestions from
a task's text (suggest).
"""
