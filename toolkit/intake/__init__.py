"""Returned files in, validated values out: collecting files from folders, zips and saved emails
(collect), reading one return (returnfile, grid, rows, codes, planfacts) in reader processes
(readers), the merge into the store (merge, outcomes), the coordinator's receipt workbook
(receipt), and rebuilding the store from the archive (rebuild).
"""
