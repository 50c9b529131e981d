"""`plankit demo`: a whole quarter on the bundled plan, with returns filled the way clerks fill
them (simulate); and `plankit doctor`, which checks that this PC can run them (doctor).
"""
