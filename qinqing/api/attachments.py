"""The API's view of an attached file (qinqing.private_files.StoredAttachment), for every
app that keeps them: what was stored and where to download it; uploads as multipart."""

from rest_framework import serializers


class StoredAttachmentSerializer(serializers.ModelSerializer):
    """Subclass with `class Meta(StoredAttachmentSerializer.Meta): model = …`."""

    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        fields = ["id", "name", "content_type", "size", "created_at", "url"]
        # Output only (uploads go through AttachmentUploadSerializer); read-only also keeps
        # the database's integer range out of the committed schema (SQLite vs PostgreSQL).
        read_only_fields = fields


class AttachmentUploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False)
