"""The working-hours clock: office time, Chinese statutory holidays and make-up working days
(`clock.py`), with an administrator-editable calendar table for corrections and for years
the chinesecalendar package does not cover yet (`models.CalendarDay`)."""
