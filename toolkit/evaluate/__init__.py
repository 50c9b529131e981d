"""Judging each task of a quarter against its 序时进度 from what the store holds (judge). Pure: reads
the store, writes nothing.
"""
