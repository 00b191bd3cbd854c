"""Reference data over REST: any signed-in user or script may read it."""

from rest_framework import viewsets

from .models import Department, District
from .serializers import DepartmentSerializer, DistrictSerializer


class DistrictViewSet(viewsets.ReadOnlyModelViewSet):
    scope_resource = "any"
    filterset_fields = ["kind"]
    queryset = District.objects.all()
    serializer_class = DistrictSerializer
    lookup_field = "code"
    ordering_fields = ["sort_order", "code"]
    ordering = ["sort_order", "code"]


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    scope_resource = "any"
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    lookup_field = "code"
    ordering_fields = ["sort_order", "code"]
    ordering = ["sort_order", "code"]
