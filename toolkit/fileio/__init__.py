"""Files at the boundary, before and after everything else: what a file really is (sniffing), zip
and XML checks on untrusted workbooks, reading what value readers cannot see, atomic writes, row
heights for generated sheets, and LibreOffice conversions. Knows nothing of plans.
"""
