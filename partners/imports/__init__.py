"""Importing partners from a CSV or XLSX file: upload, dry run, apply, report.

The flow (an ImportJob row carries it from the web process to the worker and back):

1. `import_job_create` stores the uploaded file in the job (the web and worker
   containers share no media storage) and queues `partners.import_validate` once the
   upload is committed.
1a. The worker reads the file. A file whose headers are the import's own names (the
   template's, the list's export) maps itself; any other waits in "mapping": a
   person sees each header with the partner field suggested for it (`mapping`:
   names, labels, synonyms such as "Company Name" or "Website", close typos), picks a
   field or leaves the column out, and confirms (`import_job_map`), which queues the
   check with that mapping. Without a ref column, refs are made from the names.
2. The dry run (`import_job_validate`) reads every row and puts it through the very
   door every other write uses: the API's PartnerInputSerializer (partners.serializers)
   for types, then `partner_create` / `partner_update` themselves, stopped by a
   pre_save receiver (active only inside the dry run) at the moment they save the
   partner. They save first, inside their own atomic block, after every check has
   passed; so a row
   passes the dry run exactly when it would be written, nothing is written, and the
   cost of the write (audit history, products, status change) is not paid twice.
   Each chunk's transaction is rolled back all the same. What one row of a file
   would do to the next (the same ref or domain twice) cannot be seen without
   writing, so those duplicates are found in the file itself, in both passes.
3. A person reads the counts, the first rows and the per-row errors, and confirms:
   `import_job_start` queues `partners.import_apply`.
   Every error of a row is reported in that one pass (the serializer's and the
   services'), and an existing partner whose row holds nothing new is counted
   unchanged (`changes`: both sides compared through the field spec); the partners
   that change are listed with each field's old and new value.
4. The import (`import_job_apply`) writes each valid row through the same services.
   Each row is written in its own savepoint, the services' own atomic block: they
   raise before writing anything or write inside it, so a bad row is reported and
   never undoes another.

The package, lowest module first: `mapping` (which column is which field),
`reading` (the file: CSV and XLSX, headers and bounds), `changes` (what a row
changes on its partner), `rows` (the row pass, checking or writing rows through the services),
`steps` (the two steps a worker runs, restart-safe), `tasks` (their Celery tasks),
`services` (what the pages ask for: upload, confirm, and beat's sweep), `selectors`
(reads of jobs and their error rows) and `errors` (the downloadable error report).
The names the pages, tests and benches use are importable from here.
"""

from .errors import import_job_error_report
from .mapping import Suggestion, check_mapping, ref_from_name, suggest_mapping
from .reading import (
    COLUMN_HELP,
    COLUMNS,
    MAX_FILE_BYTES,
    REQUIRED_COLUMNS,
    ImportFileError,
    Sheet,
    SheetRow,
    import_template_csv,
    read_sheet,
)
from .selectors import (
    ErrorLine,
    import_job_change_list,
    import_job_error_lines,
    import_job_get,
    import_job_list,
)
from .services import import_job_create, import_job_map, import_job_start, import_job_sweep
from .steps import import_job_apply, import_job_validate
from .tasks import import_apply, import_validate

__all__ = [
    "COLUMNS",
    "COLUMN_HELP",
    "MAX_FILE_BYTES",
    "REQUIRED_COLUMNS",
    "ErrorLine",
    "ImportFileError",
    "Sheet",
    "SheetRow",
    "Suggestion",
    "check_mapping",
    "import_apply",
    "import_job_apply",
    "import_job_change_list",
    "import_job_create",
    "import_job_error_lines",
    "import_job_error_report",
    "import_job_get",
    "import_job_list",
    "import_job_map",
    "import_job_start",
    "import_job_sweep",
    "import_job_validate",
    "import_template_csv",
    "import_validate",
    "read_sheet",
    "ref_from_name",
    "suggest_mapping",
]
