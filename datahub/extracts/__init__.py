"""Bulk extracts: chosen facts for every enterprise at once, for batch work (matching a new
policy against the whole register, grading everyone, drawing inspections).

In the real platform departments share bulk extracts that the city's data platform keeps
in sync: each department's extract comes from the adapter its link names for bulk work
(adapters.bulk_adapter_for; the sandbox's simulated departments compute theirs with the
same vectorised simulation as their single answers, so both paths agree), and the facts
the portal keeps itself from their local providers. An extract is one table per department
(one column per fact). A refresh is incremental and set-based: the department's new
extract goes into a staging table with COPY (qinqing.bulk), one comparison (IS DISTINCT
FROM on every fact column) finds the rows that are new or differ, and only those are
written (UPDATE … FROM, INSERT … ON CONFLICT; enterprises gone from the register are
deleted), all in one transaction: readers see the old extract or the new one, never half
of each. Exactly the enterprises whose facts changed are told to the apps above the hub
on commit (datahub.signals.send_facts_changed, cause "extract"); a change of a fact the
hub answers from a correction is no change (corrections win, and are overlaid on every
read). The first extract, or one whose facts were added or removed, is built whole and
swapped in.

A change the hub learns of one enterprise at a time (an answer, a correction, a listing, a
new enterprise) is brought into the extracts for those enterprises only (`refresh_rows`),
by the same staged comparison. A department's extract is locked (a transaction-level
advisory lock, safe behind PgBouncer in transaction mode) for the whole of a refresh and
of `refresh_rows`, so the two never interleave.

Persons (issue #26) have extracts of their own, made by the same machinery with another
subject (`PERSONS`): one table per department keyed by the person's id, the facts of
PERSON_CATALOGUE that the department's person providers extract in bulk (asked by
identity number, opened here from the register's sealed copies and never written
anywhere), for every person in the register. `read_person_snapshot` aligns them with the
employer's enterprise facts (person.hrss.employer_uscc → the enterprise's id). The same
rules hold for them: a person's fact corrected on a dispute is overlaid on every read
(datahub.corrections, before the employer is looked up, so a corrected employer counts),
a refresh signals exactly the persons whose facts changed (facts_changed with
`person_ids`, a corrected fact's change left out), and `refresh_rows(…, subject=PERSONS)`
brings some persons' rows up to date (a person newly registered, a changed answer).
"""
