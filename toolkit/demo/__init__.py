"""`plankit demo`: a whole quarter on the bundled plan, with returns filled the way clerks fill
them (simulate).
"""
