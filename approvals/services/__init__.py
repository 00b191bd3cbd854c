"""Every change to an application or an item: checked, locked, audited, one transaction.

applications   the applicant's draft, answers, submission, withdrawal
decisions      officials' decisions on an item and the applicant's answers to them
commitments    approval on commitment, its verification and revocation
auto_decisions items decided by the department's automatic checks
registration   the enterprise an approved establishment registers
permits        permits issued for approved items
deadlines      the beat sweep: warnings and escalations
status         locks (application row first, then its items) and the status writers
               (qinqing.transitions; the clock, pauses and thread: qinqing.workhours.case_services)
access         who may act
notifications  who is told what
refusals       the exceptions the services raise
"""
