"""The index Django reads: credit's models, each defined in its subdomain's package —
records, grades (and the scoring model), lists (and their rules), commitments,
dual-random inspections, repair. Import them from there.

Other apps learn an enterprise's grade and list standing only through the data hub's
facts (credit.grade, credit.red_list, credit.black_list), which this app provides.
"""

# In the order the models were defined in when they were one module (the registration
# order): each subdomain after those it refers to.
# isort: off
from .records.models import CreditRecord
from .grades.models import CreditGrade, GradeChange, ScoringModel
from .lists.models import ListEntry, ListRule
from .commitments.models import Commitment, CommitmentNotice
from .inspections.models import (
    IdList,  # named by migration 0004
    InspectionCampaign,
    InspectionDraw,
    InspectionSelection,
    InspectorAssignment,
    InspectorRelation,
    PopulationSnapshot,
)
from .repair.models import RepairApplication

# isort: on

__all__ = [
    "Commitment",
    "CommitmentNotice",
    "CreditGrade",
    "CreditRecord",
    "GradeChange",
    "IdList",
    "InspectionCampaign",
    "InspectionDraw",
    "InspectionSelection",
    "InspectorAssignment",
    "InspectorRelation",
    "ListEntry",
    "ListRule",
    "PopulationSnapshot",
    "RepairApplication",
    "ScoringModel",
]
