"""The fill-in workbooks departments receive: their contract with the merge (layout), the identity
written into each (identity, identityxml), their look (style), where they are written (files)
and the generator itself (generate).
"""
