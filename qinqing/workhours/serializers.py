"""The clocked case over the API, written once: its clock reading and its thread's messages
(qinqing.workhours.cases). Apps subclass the message serializer with their concrete model."""

from __future__ import annotations

from rest_framework import serializers

# (Comments, not docstrings, on these classes: a docstring would become the schema's
# description, and the API's documented shape stays as it was.)


# A ClockReading: the deadline (null while paused), office seconds left (negative when
# overdue), the share of the limit used, and years whose holidays are not loaded.
class ClockSerializer(serializers.Serializer):
    deadline = serializers.DateTimeField(allow_null=True)
    remaining_seconds = serializers.IntegerField()
    fraction_used = serializers.FloatField()
    overdue = serializers.BooleanField()
    paused = serializers.BooleanField()
    calendar_gaps = serializers.ListField(child=serializers.IntegerField())


# A message of a case's thread; subclasses name the model in
# `class Meta(CaseMessageSerializer.Meta)` and may add fields (an item's names its author).
class CaseMessageSerializer(serializers.ModelSerializer):
    class Meta:
        fields = ["kind", "body", "created_at"]
