"""Personal data in API answers: the fields a serializer names are masked for callers who
do not need them (qinqing.masking.needs_personal_data: auditors and administrators)."""

from typing import Any, ClassVar

from qinqing.masking import mask_personal_data_in, needs_personal_data


class MasksPersonalData:
    """Serializer mixin: `personal_data_fields` hold free text or answers that may carry
    ID, phone or bank account numbers; they are masked unless the caller needs them."""

    personal_data_fields: ClassVar[tuple[str, ...]] = ()

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not needs_personal_data(request.user):
            for name in self.personal_data_fields:
                if name in data:
                    data[name] = mask_personal_data_in(data[name])
        return data
