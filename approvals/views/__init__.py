"""Pages. Views are thin: reads through approvals.selectors (anything outside the caller's
scope is a 404), every change through approvals.services, whose refusals come back as
messages.

enterprise        my applications, the single sheet, checking the answers, the commitment
tracking          the application's tracker and the applicant's answers on an item
officials         the queue (overdue, verifications due) and an item's detail with its actions
permits           verifying a permit (public); the printable permit
refusal_messages  a refusal of the credit records shown as a message
"""
