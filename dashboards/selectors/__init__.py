"""The figures, read from the tallies: every figure is one aggregate query over a few
thousand pre-summed rows, whatever the city's size.

Each builder takes a `Board` (the filters already narrowed to the viewer's scope, and the
names of things; board.py) and returns a `Figure`. One module per section: funds,
approvals, credit, requests, department_data. pages.py groups them into sections and the
overview, which takes the headline numbers and one chart of each section.
"""
