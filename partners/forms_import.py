"""The upload form of the partner import."""

from django import forms

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
            (ImportMode.CREATE, "Report them as errors (create new partners only)"),
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
