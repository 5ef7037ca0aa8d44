"""Forms of bulk work on the dashboard: the shape of input only (archive/curation/bulk.py decides the rest)."""
from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length

from archive.curation.forms import MultiCheckboxField, options

ACTION_LABELS = {
    "access": _l("Set the access level"), "publish": _l("Publish"), "unpublish": _l("Unpublish (back to draft)"),
    "add_topics": _l("Add topics"), "remove_topics": _l("Remove topics"), "embargo": _l("Set an embargo date"),
    "clear_embargo": _l("Clear the embargo"),
}
ACCESS_LABELS = {"public": _l("Public"), "researchers": _l("Researchers"), "restricted": _l("Restricted")}
_ITEM = re.compile(r"^(\d{1,10}):(\d{1,10})$")


class IdsField(SelectMultipleField):
    """Testimony ids ticked in the dashboard's table (rendered there as checkboxes); not numbers are dropped."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [int(v) for v in valuelist if str(v).isdigit() and len(str(v)) <= 10]

    def pre_validate(self, form: Any) -> None:
        pass


class BulkForm(FlaskForm):
    """The selection (ticked testimonies or all the filters match) and the change to preview."""

    # The dashboard's filters when the form was shown: "all matching" means these.
    status = HiddenField()
    access = HiddenField()
    topic = HiddenField()
    q = HiddenField()
    ids = IdsField(_l("Select"), validate_choice=False)
    scope = RadioField(_l("Which testimonies"), default="ticked", validate_choice=False,
                       choices=options([("ticked", _l("The testimonies ticked in the table")),
                                        ("matching", _l("All testimonies shown (all matching the filters)"))]))
    action = RadioField(_l("Change"), validate_choice=False, choices=options(ACTION_LABELS.items()))
    new_access = SelectField(_l("New access level"), validate_choice=False,
                             choices=options([("", _l("— choose —")), *ACCESS_LABELS.items()]))
    topics = MultiCheckboxField(_l("Topics to add or remove"), validate_choice=False)
    embargo_until = StringField(_l("Embargo until"), validators=[Length(max=40)],
                                description=_l("YYYY-MM-DD, a date after today, e.g. 2030-01-31."))

    def change_data(self) -> dict[str, Any]:
        """The change as bulk.change_from reads it."""
        return {"action": self.action.data, "access": self.new_access.data, "topics": self.topics.data or [],
                "embargo_until": self.embargo_until.data}


class ConfirmForm(FlaskForm):
    """The previewed change and each testimony's version at the preview, as hidden fields."""

    action = HiddenField()
    new_access = HiddenField()
    embargo_until = HiddenField()
    topics = SelectMultipleField(validate_choice=False)
    item = SelectMultipleField(validate_choice=False)
    status = HiddenField()
    access = HiddenField()
    topic = HiddenField()
    q = HiddenField()

    def change_data(self) -> dict[str, Any]:
        return {"action": self.action.data, "access": self.new_access.data, "topics": self.topics.data or [],
                "embargo_until": self.embargo_until.data}

    def versions(self) -> list[tuple[int, int]]:
        """(testimony id, version at the preview) pairs, from "id:version" values; malformed ones are dropped."""
        pairs = []
        for value in self.item.data or []:
            match = _ITEM.match(str(value))
            if match:
                pairs.append((int(match.group(1)), int(match.group(2))))
        return list(dict.fromkeys(pairs))
