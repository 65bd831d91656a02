"""The forms of the partner import: the upload and the column mapping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from .fields import FIELDS
from .imports.mapping import IGNORED, column_title, suggest_mapping
from .imports.reading import MAX_FILE_BYTES
from .models import ImportMode


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        help_text=f"A CSV file (UTF-8) or an Excel .xlsx workbook of at most "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB; its first row names the columns.",
        widget=forms.FileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    mode = forms.ChoiceField(
        label="Partners whose ref already exists",
        choices=[
            (
                ImportMode.CREATE,
                "Leave them as they are (create new partners only; "
                "a row that would change one is reported)",
            ),
            (ImportMode.CREATE_OR_UPDATE, "Update them with the file's non-empty cells"),
        ],
        initial=ImportMode.CREATE,
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        # Refused before the file is read into memory; the service checks the bytes too.
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; files of at most "
                f"{MAX_FILE_BYTES // 1024 // 1024} MB can be imported. Split it into "
                "smaller files."
            )
        return upload


class ImportMappingForm(forms.Form):
    """Which partner field each column of an uploaded file goes to: one choice per
    column (`column_0`, `column_1`...), a field or "Leave out", starting from the
    mapping confirmed before, else the suggestion (partners.imports.mapping), which the
    form keeps for the page to show."""

    def __init__(
        self,
        data: Any = None,
        *,
        headers: Sequence[str],
        confirmed: Sequence[str] = (),
    ) -> None:
        super().__init__(data)
        self.suggestions = suggest_mapping(headers)
        initial_mapping = list(confirmed) or [suggestion.field for suggestion in self.suggestions]
        choices = [(IGNORED, "Leave out"), *((spec.name, spec.label) for spec in FIELDS)]
        for index in range(len(headers)):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column_title(headers, index),
                choices=choices,
                required=False,
                initial=initial_mapping[index] if index < len(initial_mapping) else IGNORED,
            )
        self.headers = list(headers)

    def mapping(self) -> list[str]:
        """The chosen field of every column, in the file's order (after is_valid)."""
        return [self.cleaned_data.get(f"column_{index}", "") for index in range(len(self.headers))]
