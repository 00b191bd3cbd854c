"""Every change to a request: checked, locked, audited, one transaction.

Raising a request routes it; officials of its department (and district) ask for more
information (the clock pauses until the enterprise answers), transfer it (with a reason)
or answer it; the enterprise rates the answer, and an unsatisfied rating reopens it once
to the department's supervisor on a fresh clock. A transfer keeps the clock running: the
enterprise does not wait longer because the first department was the wrong one.

raising          routing a new request, its attachments
department_side  asking for information, transferring, answering
enterprise_side  rating the answer, refusing publication
publication      anonymised published answers and their search
policy_push      a published policy version told to the enterprises it fits
deadlines        the beat sweep: warnings and escalations
status           locks and the one status writer (qinqing.transitions; the clock, pauses
                 and thread: qinqing.workhours.case_services)
access           who may act
notifications    who is told what
refusals         the exceptions the services raise
"""
