"""Workshop and consultation use-cases, one module per part: themes, workshops, registrations,
the room (documents, minutes, records) and consultations (phases).

Callers import from here (`from tadamon.workshops import services`). Services check the rules,
change the models and flush; the view's use-case runner commits.
"""

from tadamon.workshops.services.common import WorkshopError, title_of
from tadamon.workshops.services.consultations import (
    VOTE_DEFINING,
    ConsultationData,
    advance_due_consultations,
    consultations_of_facilitator,
    move_due_phases,
    move_phase,
    next_phase,
    participant_representatives_of,
    save_consultation,
)
from tadamon.workshops.services.registrations import (
    Decisions,
    attending,
    decide_registration,
    decide_registrations,
    give_back_places,
    has_place,
    outside_regions,
    places_taken,
    profile_section,
    promote_waiting,
    reconsider_registration,
    record_attendance,
    record_sheet_export,
    register,
    registered_organisation_ids,
    registered_organisations,
    registration_counts,
    registration_of,
    registrations_of,
    withdraw,
    workshops_of_organisation,
)
from tadamon.workshops.services.room import (
    DOCUMENT_MAX_BYTES,
    attach_document,
    document_key,
    record_in_room,
    remove_document,
    room_records,
    save_minutes,
)
from tadamon.workshops.services.themes import active_themes, all_themes, save_theme
from tadamon.workshops.services.workshops import (
    WorkshopData,
    create_workshop,
    facilitator_candidates,
    move_workshop_status,
    set_facilitators,
    update_workshop,
    workshops_between,
    workshops_of_facilitator,
    workshops_query,
)

__all__ = [
    "DOCUMENT_MAX_BYTES", "VOTE_DEFINING", "ConsultationData", "Decisions", "WorkshopData", "WorkshopError",
    "attending", "decide_registrations", "reconsider_registration", "record_sheet_export",
    "active_themes", "advance_due_consultations", "all_themes", "attach_document",
    "consultations_of_facilitator", "create_workshop", "decide_registration", "document_key",
    "facilitator_candidates", "give_back_places", "has_place", "move_due_phases", "move_phase",
    "move_workshop_status", "next_phase", "outside_regions", "participant_representatives_of", "places_taken",
    "profile_section", "promote_waiting", "record_attendance", "record_in_room", "register",
    "registered_organisation_ids", "registered_organisations", "registration_counts",
    "registration_of", "registrations_of", "remove_document", "room_records", "save_consultation",
    "save_minutes", "save_theme", "set_facilitators", "title_of", "update_workshop", "withdraw",
    "workshops_between", "workshops_of_facilitator", "workshops_of_organisation", "workshops_query",
]
