"""Writing policies: drafts, test cases, what-if, four-eyes publication, scheduling.

Every status change goes through `qinqing.transitions.move` (the table is
`PolicyVersion.transitions`): row locked, allowed transition checked, audit event written,
one transaction. Refusals are `qinqing.errors`: a page shows them, the API answers them.

Where each part lives (callers import from these modules): `drafts` (policies, drafts,
who may draft), `test_cases`, `boundary_cases` (generated test cases), `nothing_due` (a
formula that pays nothing), `what_if` (the forecast), `publication` (submission,
four-eyes approval, publishing, withdrawal, scheduling).
"""
