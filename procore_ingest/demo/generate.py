"""Synthetic, deterministic rows for every table: vocabulary, time model, column rules, table hooks."""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from random import Random
from typing import Any

from .schema import Column, Link, load_links, load_schema, table_order
from .spec import (
    COMPANY_ID,
    DEFAULT_SPEC,
    GC_DOMAIN,
    GC_NAME,
    P49,
    ROLES,
    WEBHOOK_EVENTS,
    WEBHOOK_RESOURCES,
    DemoSpec,
    row_counts,
)

# --- vocabulary -----------------------------------------------------------------------------

_FIRST = (
    "James Maria Robert Linda Michael Patricia David Jennifer John Elizabeth Daniel Susan Kevin "
    "Karen Brian Nancy José Lisa Mark Angela Steven Rebecca Paul Laura Andrew Michelle Joshua "
    "Kimberly Kenneth Amy Ryan Stephanie Jacob Nicole Tyler Megan Marcus Tamika Luis Ana Piotr "
    "Katarzyna Tomasz Agnieszka Ahmed Fatima Wei Mei Raj Priya Sean Colleen Zoë DeShawn"
).split()
_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Kowalski Nowak Wiśniewski Kaminski O'Brien Murphy Sullivan Patel Shah Chen Kim Okafor "
    "Jablonski Schultz Mueller Novak Muñoz"
).split()
_JOB_TITLES = (
    "Project Manager", "Senior Project Manager", "Superintendent", "Assistant Superintendent",
    "Project Engineer", "Estimator", "Foreman", "General Foreman", "Safety Manager",
    "Contracts Administrator", "Accounts Payable", "MEP Coordinator", "Field Engineer",
    "Vice President of Operations", "Owner", "Office Manager", "Service Manager",
)
_TRADES = (
    "Mechanical", "Electrical", "Plumbing", "Fire Protection", "Concrete", "Masonry", "Drywall",
    "Roofing", "Glazing", "Painting", "Flooring", "Demolition", "Excavation", "Steel Erection",
    "Controls", "Insulation", "Elevator", "Abatement", "Landscaping", "Doors & Hardware",
    "Sheet Metal", "Testing & Balancing", "Low Voltage", "Millwork",
)
_VENDOR_STEMS = (
    "Prairie State", "Lakeshore", "Midwest", "Great Lakes", "Illini", "Windy City", "Fox Valley",
    "Northshore", "Heartland", "Lincolnland", "Kankakee Valley", "DuPage", "Chicagoland",
    "Rock River", "Tri-County", "Sangamon", "Calumet", "Des Plaines", "Kishwaukee", "Wabash",
)
_VENDOR_SUFFIXES = ("Inc.", "LLC", "Co.", "Corp.", "Contractors, Inc.", "Services LLC", "Group", "& Sons, Inc.")
_UNIONS = ("IBEW Local 134", "Pipefitters Local 597", "Carpenters Local 13", "Plumbers Local 130",
           "Sheet Metal Workers Local 73", "Laborers Local 2", "Operating Engineers Local 150")
# (city, zip) pairs in Illinois; VA medical centers sit in the first four.
_CITIES = (
    ("Chicago", "60612"), ("Hines", "60141"), ("North Chicago", "60064"), ("Danville", "61832"),
    ("Marion", "62959"), ("Naperville", "60540"), ("Aurora", "60505"), ("Joliet", "60432"),
    ("Rockford", "61101"), ("Peoria", "61602"), ("Springfield", "62701"), ("Champaign", "61820"),
    ("Evanston", "60201"), ("Schaumburg", "60173"), ("Oak Brook", "60523"), ("Elgin", "60120"),
    ("Waukegan", "60085"), ("Bloomington", "61701"), ("Decatur", "62521"), ("Skokie", "60077"),
)
_STREETS = (
    "S Damen Ave", "W Roosevelt Rd", "N Sheridan Rd", "E Main St", "S 5th Ave", "Green Bay Rd",
    "W Jefferson St", "N Milwaukee Ave", "S Halsted St", "E Ogden Ave", "W Lake St",
    "N Lincoln Ave", "S Wolf Rd", "E Illinois St", "W North Ave", "Industrial Dr",
)
_STATIONS = ("537", "578", "556", "550", "657")  # VA station numbers in/near Illinois
_SCOPES = (
    "Failed AHU-1 and Rem Chiller", "Replace Chillers Bldg 1", "Renovate 4th Floor Inpatient Ward",
    "Upgrade Fire Alarm System", "Replace Roof Bldg 12", "Correct Electrical Deficiencies",
    "Install Emergency Generator", "Renovate Sterile Processing", "Modernize Elevators Bldg 200",
    "Expand Parking Garage", "Replace Domestic Water Piping", "Upgrade Nurse Call System",
    "Renovate Primary Care Clinic", "Replace Boiler Plant Controls", "Repair Exterior Facade",
    "Renovate MRI Suite", "Upgrade Steam Distribution", "Construct Mental Health Addition",
    "Abate and Replace Flooring", "Replace Cooling Tower", "Renovate Pharmacy for USP 800",
    "Install Solar Array", "Upgrade Security Cameras", "Repave Parking Lots",
    "Renovate Dental Clinic", "Replace Windows Bldg 1", "Seismic Upgrade Bldg 4",
    "Relocate Dialysis Unit", "Upgrade Medical Gas System", "Replace AHU-5 and AHU-6",
    "Convert Ward 5B to Hospice",
)
_ITEMS = (
    "ductwork", "chilled water piping", "sprinkler main", "cable tray", "VAV box", "fire damper",
    "steel beam", "door frame", "ceiling grid", "floor drain", "conduit", "roof curb",
    "medical gas outlet", "exhaust fan", "light fixture", "transfer grille", "hot water riser",
    "fire alarm device", "gypsum board partition", "expansion joint", "access panel",
)
_PLACES = (
    "Level 2 corridor", "Room 214", "mechanical room B-101", "the east stairwell", "grid line C/4",
    "the roof", "Ward 4B nurse station", "the loading dock", "OR 3", "the penthouse",
    "Electrical Room 1E-12", "the main lobby", "Bldg 12 basement", "the courtyard", "AHU-1 room",
)
_VERBS = ("Install", "Remove and replace", "Relocate", "Patch and repair", "Provide", "Furnish and install",
          "Demolish", "Reroute", "Add", "Modify")
_REFS = ("ASI #7", "RFI 23", "sheet M-201", "Bulletin 3", "owner direction", "the field walk on 10/14",
         "spec section 23 31 13", "the revised door schedule", "CCD 4", "the AHJ inspection comments")
_DISCIPLINES = (
    ("G", "General", ("COVER SHEET", "CODE ANALYSIS", "LIFE SAFETY PLAN")),
    ("C", "Civil", ("SITE PLAN", "GRADING PLAN", "UTILITY PLAN")),
    ("A", "Architectural", ("FLOOR PLAN", "REFLECTED CEILING PLAN", "ELEVATIONS", "WALL SECTIONS", "DOOR SCHEDULE")),
    ("S", "Structural", ("FOUNDATION PLAN", "FRAMING PLAN", "DETAILS")),
    ("M", "Mechanical", ("HVAC PLAN", "PIPING PLAN", "SCHEDULES", "DETAILS", "CONTROLS")),
    ("P", "Plumbing", ("PLUMBING PLAN", "RISER DIAGRAM", "DETAILS")),
    ("E", "Electrical", ("POWER PLAN", "LIGHTING PLAN", "ONE-LINE DIAGRAM", "PANEL SCHEDULES")),
    ("FP", "Fire Protection", ("SPRINKLER PLAN", "DETAILS")),
    ("T", "Telecommunications", ("TELECOM PLAN", "RISER DIAGRAM")),
)
_LEVELS = ("BASEMENT", "FIRST FLOOR", "SECOND FLOOR", "THIRD FLOOR", "FOURTH FLOOR", "ROOF", "PENTHOUSE")
_AREAS = ("Building 1", "Main Hospital", "Bldg 12", "Site", "Parking Structure", "Clinic Addition", "Bldg 200")
_SET_NAMES = ("Issued for Construction", "100% Construction Documents", "95% Construction Documents",
              "Conformed Set", "Record Set", "Bulletin {n:02d}", "ASI {n:02d}", "Addendum {n}")
_DIVISIONS = (
    ("00", "Procurement and Contracting Requirements"), ("01", "General Requirements"),
    ("02", "Existing Conditions"), ("03", "Concrete"), ("04", "Masonry"), ("05", "Metals"),
    ("06", "Wood, Plastics, and Composites"), ("07", "Thermal and Moisture Protection"),
    ("08", "Openings"), ("09", "Finishes"), ("10", "Specialties"), ("11", "Equipment"),
    ("12", "Furnishings"), ("13", "Special Construction"), ("14", "Conveying Equipment"),
    ("21", "Fire Suppression"), ("22", "Plumbing"), ("23", "Heating, Ventilating, and Air Conditioning (HVAC)"),
    ("25", "Integrated Automation"), ("26", "Electrical"), ("27", "Communications"),
    ("28", "Electronic Safety and Security"), ("31", "Earthwork"), ("32", "Exterior Improvements"),
    ("33", "Utilities"),
)
_SECTION_TITLES = {
    "01": ("Summary of Work", "Submittal Procedures", "Temporary Facilities and Controls",
           "Quality Requirements", "Closeout Procedures", "Infection Control Risk Assessment"),
    "02": ("Selective Demolition", "Asbestos Remediation", "Lead-Based Paint Removal"),
    "03": ("Cast-in-Place Concrete", "Concrete Forming and Accessories", "Concrete Reinforcing"),
    "05": ("Structural Steel Framing", "Metal Fabrications", "Cold-Formed Metal Framing"),
    "07": ("Thermal Insulation", "Modified Bituminous Membrane Roofing", "Joint Sealants", "Penetration Firestopping"),
    "08": ("Hollow Metal Doors and Frames", "Door Hardware", "Aluminum Windows", "Glazing"),
    "09": ("Gypsum Board", "Acoustical Panel Ceilings", "Resilient Flooring", "Interior Painting", "Tiling"),
    "21": ("Wet-Pipe Sprinkler Systems", "Fire-Suppression Standpipes", "Fire Pumps"),
    "22": ("Domestic Water Piping", "Plumbing Fixtures", "Sanitary Waste and Vent Piping", "Medical Gas Piping"),
    "23": ("Common Motor Requirements for HVAC Equipment", "Testing, Adjusting, and Balancing for HVAC",
           "HVAC Insulation", "Instrumentation and Control for HVAC", "Hydronic Piping",
           "Centrifugal Water Chillers", "Modular Indoor Central-Station Air-Handling Units", "Metal Ducts"),
    "26": ("Low-Voltage Electrical Power Conductors and Cables", "Grounding and Bonding for Electrical Systems",
           "Panelboards", "Interior Lighting", "Engine Generators", "Automatic Transfer Switches"),
    "28": ("Fire Detection and Alarm", "Video Surveillance", "Access Control"),
}
_DIVISION_TITLES = dict(_DIVISIONS)
_COST_CODES = (
    ("01-100", "General Conditions"), ("02-410", "Selective Demolition"), ("02-820", "Asbestos Abatement"),
    ("03-300", "Cast-in-Place Concrete"), ("04-200", "Unit Masonry"), ("05-120", "Structural Steel"),
    ("06-100", "Rough Carpentry"), ("07-520", "Membrane Roofing"), ("08-110", "Hollow Metal Doors and Frames"),
    ("09-250", "Gypsum Board"), ("09-900", "Painting"), ("21-130", "Fire Sprinklers"),
    ("22-110", "Domestic Water Piping"), ("23-050", "HVAC General"), ("23-310", "HVAC Ductwork"),
    ("23-640", "Chillers"), ("23-730", "Air Handling Units"), ("23-090", "Building Automation Controls"),
    ("26-050", "Electrical General"), ("26-510", "Interior Lighting"), ("26-320", "Generators"),
    ("28-310", "Fire Alarm"), ("31-200", "Earthwork"),
)
_LINE_ITEM_TYPES = (("L", "Labor"), ("M", "Material"), ("E", "Equipment"), ("S", "Subcontract"), ("O", "Other"))
_DOC_FOLDERS = ("Contracts", "Drawings", "Specifications", "Submittals", "Meeting Minutes", "Closeout",
                "Permits", "Safety", "Schedules", "Correspondence")
_DOC_FILES = ("OAC Meeting Minutes {date}.pdf", "Building Permit.pdf", "Geotechnical Report.pdf",
              "Project Schedule Rev {n}.pdf", "Site Logistics Plan.pdf", "Asbestos Survey.pdf",
              "Commissioning Plan.docx", "Budget Tracking.xlsx", "ICRA Permit {n}.pdf",
              "Notice to Proceed.pdf", "Safety Plan.pdf", "IMG_{img}.jpg", "Punch List {date}.xlsx")
_PHOTO_SUBJECTS = ("Progress photo", "Above-ceiling inspection", "Existing conditions", "Damaged {item}",
                   "{item} installed", "Pre-pour inspection", "Punch item: {item}", "Safety observation",
                   "Delivery of {item}", "Before demolition")
_CUSTOM_FIELD_VALUES = ("Yes", "No", "N/A", "Phase 1", "Phase 2", "VA Funded", "Minor Construction",
                        "NRM", "High", "Low", "Pending owner review")
# Webhook resource name -> mirrored table, so processed events point at real rows.
_RESOURCE_TABLES = {
    "Projects": "projects", "RFIs": "rfis", "Submittals": "submittals", "Change Orders": "change_orders",
    "Change Events": "change_events", "Drawings": "drawings", "Drawing Revisions": "drawing_revisions",
    "Photos": "photos", "Images": "photos", "Documents": "documents",
    "Commitment Contracts": "commitment_contracts", "Prime Contracts": "prime_contracts",
    "Requisitions": "requisitions", "Direct Costs": "direct_costs",
    "Budget Line Items": "budget_line_items", "Vendors": "vendors",
    "Specification Sections": "specification_sections", "Timesheets": "timesheets",
    "Daily Logs": "daily_logs",
}
_SYNCED_TABLES = ("projects", "vendors", "company_users", "project_users", "drawings", "drawing_revisions",
                  "photos", "rfis", "submittals", "change_orders", "commitment_contracts", "requisitions",
                  "timesheets", "specification_sections", "direct_costs", "budget_line_items")
# Filename templates for the JSONB id -> S3 key maps, by resource.
_ATTACHMENT_FILES = {
    "change_orders": ("EOS_CO{num}.pdf", "CO{num}_Backup.pdf", "Signed_CO{num}.pdf", "Quote.pdf", "IMG_{img}.jpg"),
    "change_events": ("Field_Report.pdf", "Pricing_Request.pdf", "IMG_{img}.jpg", "Scan_{img}.pdf"),
    "commitment_contracts": ("Subcontract_{num}.pdf", "Exhibit_A_Scope.pdf", "Insurance_Certificate.pdf",
                             "Executed_Agreement.pdf", "W-9.pdf"),
    "commitment_change_orders": ("CCO_{num}.pdf", "Backup.pdf", "Signed_CCO_{num}.pdf"),
    "requisitions": ("Pay_App_{num}.pdf", "Lien_Waiver.pdf", "G703_Continuation.pdf", "Certified_Payroll.pdf"),
    "direct_costs": ("Invoice_{num}.pdf", "Receipt.jpg", "scan0001.pdf", "IMG_{img}.jpg"),
    "rfis": ("RFI_{num}_Response.pdf", "SK-{img}.pdf", "Markup.pdf", "IMG_{img}.jpg"),
    "submittals": ("Product_Data.pdf", "Shop_Drawings.pdf", "Reviewed_Stamped.pdf", "Submittal_{num}.pdf"),
}
_MIGRATIONS = (
    "20250519143012_init", "20250527091544_add_drawings_and_revisions", "20250603170221_add_photos_s3_key",
    "20250612082907_add_financials", "20250626154433_add_webhooks", "20250714110358_add_direct_costs",
    "20250801093020_add_owner_invoices_g702", "20250822162745_add_invoice_submissions",
    "20250915120511_add_attachment_s3_keys", "20251006084249_add_audit_expiry",
    "20251103151730_add_sync_events_errors", "20251201101502_add_integration_events",
)

# --- time model: naive UTC, Procore history before the mirror, 15-minute sync ticks after it

HISTORY_START = datetime(2018, 3, 1, 8, 0)
MIRROR_START = datetime(2025, 6, 2, 4, 0)  # first sync of the mirroring application
END = datetime(2026, 1, 14, 6, 0)  # research.md is dated 2026-01-14
SYNC_EVERY = timedelta(minutes=15)
LAG_SHARE = 0.2  # rows whose updated_at lags well behind last_synced_at
# Tables whose created_at is the mirror's own write time (@default(now()) / system tables).
_MIRROR_WRITTEN = {
    "_prisma_migrations", "api_credentials", "audit_records", "commitment_change_order_items",
    "direct_cost_items", "direct_costs", "integration_request_events", "integration_response_events",
    "invoice_submissions", "processed_webhook_events", "specification_section_divisions",
    "specification_sections", "sync_events", "webhook_health_metrics", "webhook_hooks",
    "webhook_triggers",
}
# updated_at is Prisma's @updatedAt (write time) and last_synced_at is nullable here.
_PRISMA_UPDATED_AT = {"direct_costs", "direct_cost_items"}


def _ms(dt: datetime) -> datetime:
    """`dt` truncated to milliseconds, the precision of timestamp(3)."""
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


def _iso(dt: datetime) -> str:
    """ISO-8601 UTC with milliseconds, as Procore's API writes timestamps inside JSON."""
    return dt.isoformat(timespec="milliseconds") + "Z"


def _sync_tick(t: datetime) -> datetime:
    """The first sync run at or after `t`: rows written by one run share its timestamp."""
    k = max(0, math.ceil((t - MIRROR_START) / SYNC_EVERY))
    return MIRROR_START + k * SYNC_EVERY + timedelta(milliseconds=(k * 7919) % 50_000)


@dataclass
class _Times:
    created: datetime
    updated: datetime
    synced: datetime | None


# --- the generator --------------------------------------------------------------------------

# Share of NULLs in nullable link columns (default 0.2).
_LINK_NULLS = {
    ("drawing_revisions", "drawing_set_id"): 0.15, ("company_users", "vendor_id"): 0.25,
    ("direct_costs", "vendor_id"): 0.1, ("requisitions", "commitment_id"): 0.03,
    ("specification_sections", "specification_section_division_id"): 0.08,
    ("prime_contracts", "vendor_id"): 0.0, ("prime_contracts", "contractor_id"): 0.3,
    ("prime_contracts", "architect_id"): 0.5, ("commitment_contract_items", "prime_line_item_id"): 0.85,
    ("commitment_change_order_items", "prime_line_item_id"): 0.85,
    ("commitment_change_order_items", "commitment_line_item_id"): 0.3,
    ("invoice_submissions", "procore_requisition_id"): 0.3, ("rfis", "responsible_contractor_id"): 0.3,
}
# Links that give each parent one child in turn instead of a random parent (1:1 relations).
_CYCLE_LINKS = {("integration_response_events", "request_id"), ("specification_section_revisions", "specification_section_id")}

Row = dict[str, Any]
Rule = Callable[["_Gen", Row], Any]


class _Gen:
    """Generation state: the random stream, rows made so far, and the row being made."""

    def __init__(self, spec: DemoSpec) -> None:
        self.rng = Random(spec.seed)
        self.counts = row_counts(spec.scale)
        self.schema = load_schema()
        self.links = load_links()
        self.order, self.depth = table_order(list(self.schema), self.links)
        self.rows: dict[str, list[Row]] = {}
        self.by_id: dict[str, dict[Any, Row]] = {}
        self.by_project: dict[str, dict[int, list[Row]]] = {}
        self.seqs: dict[Any, int] = {}
        self.pools: dict[str, list[int]] = {}
        self.project_weights: list[float] = []
        # Per-table and per-row state.
        self.table = ""
        self.i = 0
        self.n = 0
        self.col = Column("", "text", True, None)
        self.t = _Times(END, END, END)
        self.parents: dict[str, Row | None] = {}
        self.state: dict[Any, Any] = {}

    # helpers used by rules ------------------------------------------------------------------

    def seq(self, key: Any) -> int:
        """0, 1, 2, ... per key."""
        k = self.seqs.get(key, 0)
        self.seqs[key] = k + 1
        return k

    def pool(self, name: str, size: int = 60) -> int:
        """A Procore-looking id of an entity this database does not mirror (stable per name)."""
        if name not in self.pools:
            base = self.rng.randrange(1_000_000, 900_000_000)
            self.pools[name] = [P49 + base + self.rng.randrange(1, 5_000_000) for _ in range(size)]
        return self.rng.choice(self.pools[name])

    def special(self, key: str, cases: Sequence[str]) -> str | None:
        """The edge case (if any) the current row plays for `key`: each case goes to one distinct
        random row of this table, so every case exists whenever the table has enough rows."""
        skey = ("special", key)
        if skey not in self.state:
            picked = self.rng.sample(range(self.n), min(len(cases), self.n))
            self.state[skey] = dict(zip(picked, cases[: len(picked)], strict=True))
        return self.state[skey].get(self.i)

    def combo(self, build: Callable[[], list[Any]]) -> Any:
        """The current row's share of a sample without replacement from `build()` (unique keys)."""
        if "combos" not in self.state:
            items = build()
            self.state["combos"] = self.rng.sample(items, min(self.n, len(items)))
        return self.state["combos"][self.i % len(self.state["combos"])]

    def row_of(self, table: str, id_: Any) -> Row | None:
        return self.by_id.get(table, {}).get(id_)

    def project(self, row: Row) -> Row | None:
        return self.row_of("projects", row.get("project_id"))

    def by_project_rows(self, table: str, project_id: Any) -> list[Row]:
        """Rows of `table` made so far in `project_id` (works for the table being generated)."""
        if table == self.table:
            return [r for r in self.rows[table] if r.get("project_id") == project_id]
        return self.by_project.get(table, {}).get(project_id, [])

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[self.rng.randrange(len(seq))]

    def day(self, lo: int, hi: int, base: datetime | None = None) -> date:
        return ((base or self.t.created) + timedelta(days=self.rng.randint(lo, hi))).date()

    def money(self, lo: float = 250, hi: float = 250_000, scale: int = 2) -> Decimal:
        """Log-uniform amount: many small values, some large, like real cost data."""
        x = math.exp(self.rng.uniform(math.log(lo), math.log(hi)))
        return Decimal(f"{x:.{scale}f}")

    def file_id(self) -> int:
        return P49 + self.rng.randrange(1_000_000_000, 2_000_000_000)

    def hexstr(self, nbytes: int) -> str:
        return self.rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()

    def person(self) -> tuple[str, str]:
        return self.pick(_FIRST), self.pick(_LAST)

    def sentence(self) -> str:
        return f"{self.pick(_VERBS)} {self.pick(_ITEMS)} at {self.pick(_PLACES)} per {self.pick(_REFS)}."

    def user_id(self) -> int:
        """A Procore user: usually one of the mirrored company users, sometimes an unknown one."""
        users = self.rows.get("company_users")
        if users and self.rng.random() < 0.9:
            return self.pick(users)["id"]
        return self.pool("user")

    def signed_url(self, project_id: int | None, kind: str) -> str:
        """A Procore pre-signed file URL (they expire; a 403 on fetch is expected)."""
        path = f"companies/{COMPANY_ID}/projects/{project_id}/{kind}" if project_id else f"companies/{COMPANY_ID}/{kind}"
        query = f"companyId={COMPANY_ID}" + (f"&projectId={project_id}" if project_id else "")
        return (f"https://storage.procore.com/api/v5/files/us-east-1/pro-core.com/{path}/"
                f"{self.hexstr(16)}?{query}&sig={self.hexstr(32)}")

    def s3_key(self, row: Row, resource: str, filename: str) -> str:
        """{company_id}/{project_id}/{resource}/{row id}/{filename}, the mirroring app's S3 key layout."""
        return f"{COMPANY_ID}/{row.get('project_id')}/{resource}/{row['id']}/{filename}"

    # generation -----------------------------------------------------------------------------

    def run(self) -> dict[str, list[Row]]:
        self._projects_weights()
        for table in self.order:
            self._table(table)
        for fix in _FIXUPS:
            fix(self)
        return self.rows

    def _projects_weights(self) -> None:
        # A few big projects hold most records, as on a real account.
        self.project_weights = [self.rng.lognormvariate(0, 1.0) for _ in range(self.counts["projects"])]

    def _table(self, table: str) -> None:
        self.table, self.n, self.state = table, self.counts[table], {}
        cols = self.schema[table]
        links = sorted(
            (lk for lk in self.links.get(table, []) if lk.parent != table),
            key=lambda lk: -self.depth[lk.parent],  # most specific parent first (stable sort)
        )
        nullable = {c.name: c.nullable for c in cols}
        ids = _ids(self, table, cols[0])
        rows: list[Row] = []
        self.rows[table] = rows
        for i, id_ in enumerate(ids):
            self.i = i
            row: Row = {cols[0].name: id_}
            self.parents = {}
            for lk in links:
                if lk.column not in row:
                    self._link(row, lk, links, nullable[lk.column])
            self.t = _times(self)
            hook = _HOOKS.get(table)
            if hook:
                hook(self, row)
            for lk in links:
                if lk.dangle and row.get(lk.column) is not None and (
                    self.rng.random() < lk.dangle or self.special(f"dangle:{lk.column}", ("dangle",))
                ):
                    row[lk.column] = _dangling(self, lk)
            for col in cols:
                if col.name not in row:
                    self.col = col
                    row[col.name] = _value(self, row, col)
            _coherent_amounts(row)
            rows.append(row)
        self.by_id[table] = {r[cols[0].name]: r for r in rows}
        index: dict[int, list[Row]] = {}
        for r in rows:
            pid = _project_of(self, table, r)
            if pid is not None:
                index.setdefault(pid, []).append(r)
        self.by_project[table] = index

    def _link(self, row: Row, lk: Link, links: list[Link], nullable: bool) -> None:
        parent = self._pick_parent(row, lk, nullable)
        row[lk.column] = parent["id"] if parent else None
        self.parents[lk.column] = parent
        if parent is None:
            return
        # Inherit the parent's other links (project, area, vendor, ...) for consistency.
        for other in links:
            if other.column not in row and parent.get(other.column) is not None:
                row[other.column] = parent[other.column]
                self.parents[other.column] = self.row_of(other.parent, parent[other.column])

    def _pick_parent(self, row: Row, lk: Link, nullable: bool) -> Row | None:
        rng, candidates = self.rng, self.rows.get(lk.parent) or []
        if nullable and rng.random() < _LINK_NULLS.get((lk.table, lk.column), 0.2):
            return None
        if not candidates:
            return None
        if (lk.table, lk.column) in _CYCLE_LINKS:
            if "cycle" not in self.state:
                self.state["cycle"] = rng.sample(range(len(candidates)), len(candidates))
            return candidates[self.state["cycle"][self.i % len(candidates)]]
        pid, index = row.get("project_id"), self.by_project.get(lk.parent)
        if pid is not None and index:  # a project-scoped parent: stay inside the row's project
            same = index.get(pid)
            if same:
                return self.pick(same)
            if nullable:
                return None
        if lk.parent == "projects":
            return rng.choices(candidates, weights=self.project_weights)[0]
        return self.pick(candidates)


def _column(g: _Gen, table: str, name: str) -> Column:
    return next(c for c in g.schema[table] if c.name == name)


def _project_of(g: _Gen, table: str, row: Row) -> int | None:
    """The project a row belongs to, directly or through its first formal parent."""
    if "project_id" in row:
        return row["project_id"]
    for lk in g.links.get(table, []):
        if lk.formal and lk.parent != table:
            parent = g.row_of(lk.parent, row.get(lk.column))
            return parent.get("project_id") if parent else None
    return None


_UUID_ID_TABLES = {"integration_request_events", "integration_response_events", "invoice_submissions",
                   "processed_webhook_events", "_prisma_migrations"}


def _ids(g: _Gen, table: str, pk: Column) -> list[Any]:
    """Primary keys: uuid/cuid strings, 1..n for the serial one, else 2^49 + n with gaps."""
    rng = g.rng
    if pk.kind == "text":
        if table in _UUID_ID_TABLES:
            return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(g.n)]
        return [_cuid(g) for _ in range(g.n)]
    if table == "api_credentials":  # the only SERIAL key
        return list(range(1, g.n + 1))
    n = rng.randrange(1_000, 800_000_000)
    ids = []
    for _ in range(g.n):
        n += rng.randint(1, 40)  # Procore's ids are shared across accounts: ours are not consecutive
        ids.append(P49 + n)
    return ids


def _cuid(g: _Gen) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "c" + "".join(alphabet[g.rng.randrange(36)] for _ in range(24))


def _dangling(g: _Gen, lk: Link) -> Any:
    """A value for an implicit link that matches no row (the parent was never mirrored)."""
    if _column(g, lk.parent, "id").kind == "text":
        return _cuid(g)
    return P49 + 9_000_000_000 + g.rng.randrange(1_000_000)


def _times(g: _Gen) -> _Times:
    """created <= updated <= last synced, with batch-shared values and lagging updated_at."""
    rng, table = g.rng, g.table
    parent_times = [p["created_at"] for p in g.parents.values() if p and "created_at" in p]
    floor = max(parent_times, default=HISTORY_START)
    # Roots lean towards recent years; children tend to follow their parent soon after.
    skew = 2.5 if parent_times else 0.6
    if table in _MIRROR_WRITTEN:
        floor, skew = max(floor, MIRROR_START), 1.0
    span = (END - timedelta(days=1)) - floor
    created = floor + span * rng.random() ** skew if span > timedelta(0) else floor
    created = _ms(created)
    if table in _PRISMA_UPDATED_AT:
        updated = _ms(created + (END - created) * rng.random() ** 3)
        synced = None if rng.random() < 0.1 else updated - timedelta(milliseconds=rng.randint(1, 40))
        return _Times(created, updated, synced)
    latest = END - timedelta(days=3)
    if rng.random() < LAG_SHARE and created < latest:
        # Rewritten by a later sync run (or the initial backfill) without a Procore change.
        updated = _ms(created + (latest - created) * rng.random())
        delay = timedelta(days=2) + (min(timedelta(days=45), END - updated) - timedelta(days=2)) * rng.random()
        backfill = MIRROR_START + timedelta(hours=rng.uniform(0, 36))
        return _Times(created, updated, _sync_tick(max(updated + delay, backfill)))
    lo = max(created, MIRROR_START)
    r = rng.random()
    bulk = [b for b in _bulk_instants(g) if b >= created]
    if r < 0.08 and bulk:
        updated = rng.choice(bulk)  # one bulk edit in Procore touched many rows at once
    elif r < 0.3 and created >= MIRROR_START:
        updated = created
    else:
        updated = _ms(lo + (END - lo) * rng.random())
    return _Times(created, updated, _sync_tick(updated + timedelta(seconds=rng.uniform(5, 600))))


def _bulk_instants(g: _Gen) -> list[datetime]:
    if "bulk" not in g.state:
        g.state["bulk"] = [_ms(MIRROR_START + (END - MIRROR_START) * g.rng.random()) for _ in range(4)]
    return g.state["bulk"]


# --- column values --------------------------------------------------------------------------

# Share of NULLs in nullable columns without a link or rule of their own (default 0.15).
_NULLS: dict[Any, float] = {
    "origin_id": 0.6, "origin_code": 0.8, "origin_data": 0.85, "fax_number": 0.6, "website": 0.4,
    "mobile_phone": 0.4, "notes": 0.6, "inclusions": 0.5, "exclusions": 0.5, "forecast_notes": 0.8,
    "custom_fields": 0.5, "currency_configuration": 0.4, "reference": 0.6, "legacy_package_id": 0.9,
    "legacy_request_id": 0.9, "batch_id": 0.7, "location_id": 0.6, "reviewed_at": 0.5,
    "division_template": 0.8,
    "insurance_sets": 0.8, "additional_insured": 0.5, "labor_union": 0.6, "license_number": 0.5,
    "ref": 0.8, "extended_type": 0.6, "multi_tier_location": 0.4, "comment": 0.6, "scope": 0.5,
    "s3_key": 0.03, "thumbnail_url": 0.08, "taken_at": 0.1, "avatar_url": 0.7, "completed_at": 0.1,
    "completion_time": 0.03, "procore_trigger_id": 0.1, "additional_columns": 0.7,
    "extended_data": 0.6, "bidding_qualifications": 0.7, "rfqs": 0.6, "official_responses": 0.3,
    "biller_type": 0.7, "biller_id": 1.0, "budget_forecast_id": 0.8, "manual_forecast_amount": 0.8,
    "package_type": 0.6, "period_id": 0.4, "folder_id": 0.5, "approver_id": 0.4,
    "actual_completion_date": 0.7, "contract_termination_date": 0.95, "letter_of_intent_date": 0.7,
    "approval_letter_date": 0.7, "returned_date": 0.7, "delivery_date": 0.7, "paid_date": 0.5,
    "invoiced_date": 0.5, "signed_change_order_received_date": 0.5, "deleted_at": 0.0,
    "attachment_s3_keys": 0.0, "attachments_s3_keys": 0.0, "official_response_attachment_s3_keys": 0.0,
    "last_synced_at": 0.0, "attachment_ids": 0.0, "employee_id": 0.6, "primary_contact_id": 0.5, "parent_id": 0.0,
    ("change_events", "description"): 0.3, ("photos", "description"): 0.35, ("photos", "location"): 0.3,
    ("submittal_attachments", "approver_id"): 0.5, ("requisitions", "submitted_at"): 0.2,
}
# Categorical text columns: by (table, column), then by column name. Repeats weight a value.
_TABLE_CHOICES: dict[tuple[str, str], tuple[Any, ...]] = {
    ("change_events", "status"): ("open",) * 5 + ("closed",) * 3 + ("void",),
    ("change_orders", "status"): ("approved",) * 6 + ("pending",) * 2 + ("draft", "rejected", "void"),
    ("commitment_change_orders", "status"): ("approved",) * 5 + ("pending", "draft", "rejected"),
    ("commitment_contracts", "status"): ("Approved",) * 5 + ("Complete",) * 2 + ("Draft", "Out For Bid", "Out For Signature", "Terminated", "Void"),
    ("direct_costs", "status"): ("approved", "approved", "pending", "draft", "revise_and_resubmit", "paid"),
    ("invoice_submissions", "status"): ("completed",) * 6 + ("submitted", "pending", "failed"),
    ("owner_invoices", "status"): ("approved",) * 4 + ("draft", "under_review", "pending_owner_approval"),
    ("prime_contract_change_orders", "status"): ("approved", "approved", "pending", "draft"),
    ("prime_contracts", "status"): ("Approved", "Approved", "Complete", "Draft", "Out For Signature"),
    ("requisitions", "status"): ("approved",) * 5 + ("paid",) * 3 + ("under_review", "draft", "revise_and_resubmit", "pending_owner_approval"),
    ("rfis", "status"): ("closed",) * 5 + ("open",) * 3 + ("draft",),
    ("sync_events", "status"): ("completed",) * 16 + ("failed", "partial"),
    ("timesheets", "status"): ("approved",) * 5 + ("pending", "reviewed", "completed"),
    ("vendor_insurances", "status"): ("compliant",) * 5 + ("expired", "pending", "non_compliant"),
    ("change_events", "event_type"): ("Owner Change", "Unforeseen Condition", "Design Change", "Allowance", "Contingency", "Transfer"),
    ("integration_request_events", "event_type"): ("api.request", "api.request", "webhook.delivery", "sync.page"),
    ("processed_webhook_events", "event_type"): ("create", "update", "update", "update", "delete"),
    ("commitment_contracts", "type"): ("WorkOrderContract",) * 3 + ("PurchaseOrderContract",),
    ("commitment_change_orders", "type"): ("Commitment Change Order", "Field Change", "Allowance"),
    ("prime_contract_change_orders", "type"): ("Owner Change", "Change Directive", "Allowance"),
    ("budget_views", "name"): ("Procore Standard Budget", "Forecast View", "Owner Budget", "Cost to Complete", "Monthly Snapshot"),
}
_CHOICES: dict[str, tuple[Any, ...]] = {
    "accounting_method": ("amount", "amount", "unit"),
    "biller_type": ("Project", "CommitmentContract"),
    "billing_schedule_of_values_status": ("draft", "submitted", "approved"),
    "change_event_status_name": ("Open", "Pending", "Closed"),
    "change_order_level_of_detail": ("Line Item", "Cost Code", "Contract"),
    "change_reason": ("Client Request", "Design Development", "Existing Condition", "Allowance", "Code Requirement", "Value Engineering"),
    "commitment_type": ("WorkOrderContract", "WorkOrderContract", "PurchaseOrderContract"),
    "currency_iso_code": ("USD",),
    "direct_cost_type": ("Invoice", "Invoice", "Expense", "Payroll", "Subcontractor Invoice"),
    "event_scope": ("In Scope", "Out of Scope", "TBD"),
    "extended_type": ("lump_sum", "unit_price"),
    "forecast_calculation_strategy": ("automatic", "manual", "lump_sum", "monitored_resources"),
    "insurance_type": ("General Liability", "Workers Compensation", "Automobile Liability", "Umbrella Liability", "Professional Liability", "Pollution Liability"),
    "limit": ("$1,000,000 / $2,000,000", "$2,000,000", "$5,000,000", "$500,000 each accident", "Statutory"),
    "log_type": ("notes", "weather", "manpower", "equipment", "visitors", "safety_violations", "delays"),
    "operation": ("list", "list", "list", "show", "create", "update", "sync"),
    "package_type": ("PCO", "COR", "Potential Change Order"),
    "payment_terms": ("Net 30", "Net 30", "Net 45", "2% 10 Net 30", "Due on receipt"),
    "terms": ("Net 30", "Net 30", "Net 45", "Due on receipt"),
    "permission_template_name": ("Project Manager", "Superintendent", "Subcontractor", "Architect/Engineer", "Owner Read Only", "Project Engineer"),
    "procore_entity_type": tuple(_SYNCED_TABLES),
    "response_status": ("200",) * 12 + ("201", "401", "404", "429", "500"),
    "scope": ("read write", "read"),
    "ship_via": ("Best Way", "UPS Ground", "Vendor Truck", "Will Call"),
    "sync_type": ("incremental",) * 6 + ("full", "webhook", "webhook"),
    "uom": ("LS", "LS", "LS", "EA", "LF", "SF", "HR", "CY", "TON"),
    "view_type": ("standard", "forecast", "snapshot"),
    "api_version": ("v2",),
    "environment": ("production",),
    "namespace": ("procore-sync",),
    "state_code": ("IL",),
    "country_code": ("US",),
    "token_type": ("Bearer",),
    "credential_type": ("procore_oauth",),
}
_DATE_OFFSETS: dict[str, tuple[int, int]] = {  # days after the row's created_at
    "contract_date": (-30, 5), "issued_on_date": (-20, 10), "execution_date": (0, 30),
    "signed_contract_received_date": (5, 40), "letter_of_intent_date": (-60, -10),
    "approval_letter_date": (-20, 0), "returned_date": (10, 40), "contract_start_date": (10, 60),
    "contract_estimated_completion_date": (180, 720), "original_substantial_completion_date": (180, 600),
    "substantial_completion_date": (200, 700), "actual_completion_date": (220, 800),
    "contract_termination_date": (60, 400), "delivery_date": (14, 90), "due_date": (7, 21),
    "invoiced_date": (10, 45), "paid_date": (30, 75), "signed_change_order_received_date": (3, 30),
    "estimated_start_date": (10, 90), "estimated_completion_date": (300, 900),
    "effective_date": (-300, 0), "expiration_date": (30, 365), "payment_date": (20, 60),
    "received_date": (-5, 5), "direct_cost_date": (-20, 0), "set_date": (-10, 0),
}
_USER_REFS = {"created_by_id", "assignee_id", "reviewed_by_id", "designated_reviewer_id", "approver_id", "received_from_id"}


def _value(g: _Gen, row: Row, col: Column) -> Any:
    """One column's value: rule by (table, column), choices, rule by name, else by type."""
    key = (g.table, col.name)
    if col.nullable:
        rate = _NULLS.get(key, _NULLS.get(col.name, 0.15))
        if rate and g.rng.random() < rate:
            return None
    if key in _TABLE_RULES:
        return _TABLE_RULES[key](g, row)
    if key in _TABLE_CHOICES:
        return g.pick(_TABLE_CHOICES[key])
    if col.name in _RULES:
        return _RULES[col.name](g, row)
    if col.name in _CHOICES:
        return g.pick(_CHOICES[col.name])
    if col.name.endswith("_s3_keys") and col.kind == "json":
        return _attachment_map(g, row)
    return _by_type(g, row, col)


def _by_type(g: _Gen, row: Row, col: Column) -> Any:
    rng, name = g.rng, col.name
    if col.kind == "int":
        if name in _USER_REFS:
            return g.user_id()
        if name.endswith("_id"):
            return g.pool(name)  # an entity this database does not mirror
        return rng.randint(0, 30)
    if col.kind == "bool":
        p = {"true": 0.85, "false": 0.12}.get(col.default or "", 0.5)
        return rng.random() < p
    if col.kind == "num":
        return _numeric(g, col)
    if col.kind == "float":
        return round(rng.random(), 4)
    if col.kind in ("ts", "tstz"):
        return g.t.updated
    if col.kind == "date":
        lo, hi = _DATE_OFFSETS.get(name, (-15, 30))
        return g.day(lo, hi)
    if col.kind == "json":
        return {"value": g.pick(_CUSTOM_FIELD_VALUES)}
    if col.kind == "int[]":
        return [g.file_id() for _ in range(rng.randint(0, 3))]
    return g.sentence() if name in ("description", "notes", "comment", "inclusions", "exclusions") else g.pick(_ITEMS)


def _numeric(g: _Gen, col: Column) -> Decimal:
    name, s = col.name, col.scale
    if col.precision == 5:  # retainage_percent
        return Decimal(g.pick(("5.00", "10.00", "10.00", "0.00")))
    if name == "currency_exchange_rate":
        return Decimal("1.0000")
    if name == "percent_complete" or col.scale == 10:
        return Decimal(f"{g.rng.uniform(0, 100):.{s}f}")
    if name == "quantity":
        return Decimal(g.rng.choice((1, 1, 1, 2, 4, 10, 24, 40, 120, 350))).quantize(Decimal(1).scaleb(-s))
    if name == "unit_cost":
        return g.money(5, 25_000, s)
    return g.money(scale=s)


def _coherent_amounts(row: Row) -> None:
    """Line items: amount = quantity x unit cost where both are known."""
    q, u = row.get("quantity"), row.get("unit_cost")
    if q is not None and u is not None and "amount" in row:
        row["amount"] = (q * u).quantize(Decimal("0.01"))
        for other in ("extended_amount", "total_amount"):
            if row.get(other) is not None:
                row[other] = row["amount"]


def _attachment_map(g: _Gen, row: Row) -> Any:
    """A JSONB {file id: S3 key} map, with NULL, {}, empty/null values and non-objects mixed in."""
    rng, col = g.rng, g.col.name
    resource = g.table

    def entries(k: int) -> dict[str, Any]:
        names = _ATTACHMENT_FILES[resource]
        num = str(row.get("number") or row.get("invoice_number") or g.i + 1)
        num = re.sub(r"^CO-?", "", num)  # numbers like "CO-011" already carry the prefix
        return {
            str(g.file_id()): g.s3_key(row, resource, g.pick(names).format(num=num, img=rng.randint(1000, 9999)))
            for _ in range(k)
        }

    case = g.special(col, ("empty value", "null value", "not an object"))
    if case == "empty value":
        return {**entries(1), str(g.file_id()): ""}
    if case == "null value":
        return {**entries(rng.randint(0, 1)), str(g.file_id()): None}
    if case == "not an object":
        keys = list(entries(2).values())
        return keys if len(col) % 2 else keys[0]  # a JSON array in some columns, a string in others
    r = rng.random()
    if r < 0.2:
        return None
    if r < 0.32:
        return {}
    return entries(rng.randint(1, 3))


# Rules by column name -------------------------------------------------------------------------


def _created_at(g: _Gen, row: Row) -> datetime:
    return g.t.created


def _updated_at(g: _Gen, row: Row) -> datetime:
    return g.t.updated


def _last_synced_at(g: _Gen, row: Row) -> datetime | None:
    return g.t.synced


def _deleted_at(g: _Gen, row: Row) -> datetime | None:
    k = max(1, round(0.05 * g.n))
    return g.t.updated if g.special("deleted", ("deleted",) * k) else None


def _event_time(g: _Gen, row: Row) -> datetime:
    return g.t.created


def _later(seconds: tuple[float, float]) -> Rule:
    def rule(g: _Gen, row: Row) -> datetime:
        return _ms(g.t.created + timedelta(seconds=g.rng.uniform(*seconds)))

    return rule


def _cost_code(g: _Gen, row: Row) -> int:
    return P49 + 7_000_000 + 37 * g.rng.randrange(len(_COST_CODES))


def _cost_code_entry(id_: Any) -> tuple[str, str]:
    idx = (id_ - P49 - 7_000_000) // 37 if isinstance(id_, int) else -1
    return _COST_CODES[idx] if 0 <= idx < len(_COST_CODES) else ("99-000", "Unassigned")


def _cost_code_json(g: _Gen, row: Row) -> dict[str, Any]:
    id_ = row.get("cost_code_id") or _cost_code(g, row)
    code, name = _cost_code_entry(id_)
    return {"id": id_, "full_code": code, "name": name}


def _line_item_type_id(g: _Gen, row: Row) -> int:
    return P49 + 7_100_000 + g.rng.randrange(len(_LINE_ITEM_TYPES))


def _line_item_type_json(g: _Gen, row: Row) -> dict[str, Any]:
    id_ = row.get("line_item_type_id") or _line_item_type_id(g, row)
    code, name = _LINE_ITEM_TYPES[(id_ - P49 - 7_100_000) % len(_LINE_ITEM_TYPES)]
    return {"id": id_, "code": code, "name": name, "base_type": name.lower()}


def _wbs_json(g: _Gen, row: Row) -> dict[str, Any]:
    code, name = g.pick(_COST_CODES)
    return {"id": row.get("wbs_code_id") or g.pool("wbs_code_id"), "flat_code": f"{code}.{g.pick('LMSEO')}", "description": name}


def _phone(g: _Gen, row: Row) -> str:
    return f"({g.pick(('312', '773', '630', '708', '847', '815', '217', '309', '618'))}) 555-{g.rng.randint(100, 199):04d}"


def _address(g: _Gen, row: Row) -> str:
    return f"{g.rng.randint(100, 9999)} {g.pick(_STREETS)}"


def _city(g: _Gen, row: Row) -> str:
    city, zip_ = g.pick(_CITIES)
    row["zip"] = zip_  # keep city and zip consistent (zip comes later in column order)
    return city


def _custom_fields(g: _Gen, row: Row) -> dict[str, Any]:
    return {
        f"custom_field_{P49 + 1_200_000 + g.rng.randrange(40)}": {"value": g.pick(_CUSTOM_FIELD_VALUES)}
        for _ in range(g.rng.randint(1, 3))
    }


def _id_list(g: _Gen, row: Row) -> list[int]:
    return [g.file_id() for _ in range(g.rng.randint(0, 3))]


def _attachment_ids(g: _Gen, row: Row) -> list[int]:
    """The file ids of the row's attachment map (both describe the same files)."""
    m = row.get("attachments_s3_keys")
    return [int(k) for k in m] if isinstance(m, dict) else []


def _attachments(g: _Gen, row: Row) -> list[dict[str, Any]]:
    return [
        {"id": g.file_id(), "name": f"{g.pick(('Backup', 'Signed', 'Exhibit', 'Scan'))}_{g.rng.randint(1, 99)}.pdf",
         "url": g.signed_url(row.get("project_id"), "attachments")}
        for _ in range(g.rng.randint(0, 2))
    ]


def _slug(text: str) -> str:
    """Lower-case ASCII letters and digits only (Wiśniewski -> wisniewski, O'Brien -> obrien)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _login(first: str, last: str, domain: str) -> str:
    return f"{_slug(first[0] + last)}@{domain}"


def _person_json(g: _Gen, row: Row) -> dict[str, Any]:
    first, last = g.person()
    return {"id": g.user_id(), "name": f"{first} {last}", "login": _login(first, last, GC_DOMAIN)}


def _official_responses(g: _Gen, row: Row) -> list[dict[str, Any]]:
    return [
        {"id": g.pool("response_id", 400), "plain_text_body": g.sentence(), "created_by": _person_json(g, row),
         "created_at": _iso(g.t.created + timedelta(days=g.rng.randint(1, 20)))}
        for _ in range(g.rng.randint(0, 2))
    ]


def _origin_id(g: _Gen, row: Row) -> Any:
    if g.col.kind == "int":
        return g.pool("origin_id")
    return f"{g.pick(('VISTA', 'QB', 'SAGE'))}-{g.table[:3].upper()}-{100_000 + g.i}"  # unique per table


def _origin_data(g: _Gen, row: Row) -> str:
    return json.dumps({"erp": g.pick(("Viewpoint Vista", "QuickBooks", "Sage 300")), "job": f"{g.rng.randint(1000, 9999)}"})


def _vendor_name(g: _Gen, row: Row) -> str | None:
    contract = g.parents.get("commitment_id")
    vendor = g.row_of("vendors", contract.get("vendor_id")) if contract else None
    return vendor["name"] if vendor else None


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title(g: _Gen, row: Row) -> str:
    return f"{g.pick(_VERBS)} {g.pick(_ITEMS)} at {g.pick(_PLACES)}"


def _number(g: _Gen, row: Row) -> Any:
    """Per-project running numbers (text like 'CO-011' or plain integers)."""
    prefix = {"change_orders": "CO-", "commitment_change_orders": "CCO-", "prime_contract_change_orders": "PCCO-",
              "prime_contracts": "PC-", "commitment_contracts": "SC-" if row.get("type") == "WorkOrderContract" else "PO-",
              }.get(g.table, "")
    scope = row.get("commitment_id") or row.get("contract_id") or row.get("prime_contract_id") or row.get("project_id")
    k = g.seq(("number", g.table, scope)) + 1
    return k if g.col.kind == "int" else f"{prefix}{k:03d}"


def _file_size(g: _Gen, row: Row) -> int:
    return int(math.exp(g.rng.uniform(math.log(40_000), math.log(30_000_000))))


_RULES: dict[str, Rule] = {
    "created_at": _created_at, "updated_at": _updated_at, "last_synced_at": _last_synced_at,
    "deleted_at": _deleted_at, "timestamp": _event_time, "start_time": _event_time,
    "processed_at": _event_time, "submitted_at": _event_time,
    "completed_at": _later((2, 900)), "completion_time": _later((3, 1800)),
    "reviewed_at": _later((86_400, 20 * 86_400)), "taken_at": _later((-30 * 86_400, -60)),
    "issued_date": _later((-40 * 86_400, -86_400)), "received_date": _later((-20 * 86_400, 0)),
    "expires_at": _later((30 * 86_400, 30 * 86_400)),
    "cost_code_id": _cost_code, "cost_code": _cost_code_json,
    "cost_code_name": lambda g, row: _cost_code_entry(row.get("cost_code_id"))[1],
    "root_cost_code_id": lambda g, row: P49 + 6_900_000 + int(_cost_code_entry(row.get("cost_code_id"))[0][:2]),
    "root_cost_code_name": lambda g, row: _DIVISION_TITLES.get(f"{(row.get('root_cost_code_id') or 0) - P49 - 6_900_000:02d}", "General"),
    "line_item_type_id": _line_item_type_id, "line_item_type": _line_item_type_json, "wbs_code": _wbs_json,
    "business_phone": _phone, "mobile_phone": _phone, "fax_number": _phone,
    "address": _address, "city": _city, "zip": lambda g, row: g.pick(_CITIES)[1],
    "bill_to_address": lambda g, row: f"{GC_NAME}, 1450 W Jackson Blvd, Chicago, IL 60607",
    "ship_to_address": lambda g, row: f"{_address(g, row)}, {g.pick(_CITIES)[0]}, IL",
    "custom_fields": _custom_fields, "currency_configuration": lambda g, row: {"currency_iso_code": "USD"},
    "accessor_ids": _id_list, "bill_recipient_ids": _id_list, "drawing_revision_ids": _id_list,
    "file_version_ids": _id_list, "form_ids": _id_list, "image_ids": _id_list,
    "attachment_ids": _attachment_ids, "attachments": _attachments,
    "official_responses": _official_responses, "created_by": _person_json,
    "role_ids": lambda g, row: [g.pool("role_id", 12) for _ in range(g.rng.randint(1, 2))],
    "multi_tier_location": lambda g, row: ["Building 1", f"Level {g.rng.randint(1, 5)}", f"Room {g.rng.randint(100, 560)}"],
    "origin_id": _origin_id, "origin_data": _origin_data,
    "origin_code": lambda g, row: f"{g.rng.randint(1000, 9999)}-{g.rng.randint(10, 99)}",
    "description": lambda g, row: g.sentence(), "notes": lambda g, row: g.sentence(),
    "comment": lambda g, row: g.sentence(), "inclusions": lambda g, row: g.sentence(),
    "exclusions": lambda g, row: f"Excludes {g.pick(_ITEMS)}; excludes overtime and permits.",
    "title": _title, "number": _number, "invoice_number": lambda g, row: f"INV-{g.rng.randint(1000, 99999)}",
    "vendor_name": _vendor_name, "created_by_name": lambda g, row: " ".join(g.person()),
    "change_order_change_reason": lambda g, row: g.pick(_CHOICES["change_reason"]),
    "change_reason_text": lambda g, row: g.pick(_CHOICES["change_reason"]),
    "alphanumeric_number": lambda g, row: f"{row.get('number') or g.i + 1:03d}",
    "percent_complete": lambda g, row: f"{g.rng.uniform(0, 100):.1f}" if g.col.kind == "text" else _numeric(g, g.col),
    "file_size": _file_size, "size": _file_size, "schedule_impact": lambda g, row: g.rng.choice((0, 0, 0, 2, 5, 10, 14, 30)),
    "revision": lambda g, row: g.rng.choice((0, 0, 1, 1, 2, 3)) if g.col.kind == "int" else str(g.rng.choice((0, 0, 1, 2))),
    "position": lambda g, row: g.seq(("position", g.table, row.get("direct_cost_id") or row.get("prime_contract_id") or row.get("commitment_change_order_id"))) + 1,
    "policy_number": lambda g, row: f"{g.pick(('GL', 'WC', 'AL', 'UMB'))}-{g.rng.randint(1_000_000, 9_999_999)}",
    "license_number": lambda g, row: f"104.0{g.rng.randint(10000, 99999)}",
    "labor_union": lambda g, row: g.pick(_UNIONS),
    "additional_insured": lambda g, row: "Owner, Architect and General Contractor",
    "spec_section": lambda g, row: f"{g.pick(_DIVISIONS)[0]} {g.rng.randint(1, 9) * 5:02d} {g.rng.randint(1, 9) * 10 + 3:02d}",
    "formatted_contract_company": lambda g, row: GC_NAME,
    "company_id": lambda g, row: COMPANY_ID,
    "contact_id": lambda g, row: g.pool("contact_id", 400),
    "image_category_id": lambda g, row: g.pool(f"album:{row.get('project_id')}", 8),
    "url": lambda g, row: g.signed_url(row.get("project_id"), g.table),
    "location": lambda g, row: f"Level {g.rng.randint(1, 5)} > {g.pick(_PLACES)}",
    "error_message": lambda g, row: "Procore API returned 422: invoice number already exists" if row.get("status") == "failed" else None,
    "application_id": lambda g, row: g.pick(("procore-sync-worker", "procore-sync-worker", "procore-webhook-handler", "invoice-bridge")),
    "division_template": lambda g, row: "Standard Subcontractor Requirements",
    "insurance_sets": lambda g, row: g.pick(("Subcontractor Minimum", "High Risk Trades")),
    "forecast_notes": lambda g, row: g.sentence(),
    "ref": lambda g, row: f"REF-{g.rng.randint(100, 999)}",
    "reference": lambda g, row: g.pick(_REFS),
}
_TABLE_RULES: dict[tuple[str, str], Rule] = {
    ("timesheets", "name"): lambda g, row: "Daily Timesheet",
    ("timesheets", "date"): lambda g, row: g.t.created.date(),
    ("daily_logs", "log_date"): lambda g, row: g.t.created.date(),
    ("daily_logs", "location_id"): lambda g, row: g.rng.randint(1, 40),
    ("documents", "folder_id"): lambda g, row: g.rng.randint(1_000, 99_999),
    ("vendor_insurances", "name"): lambda g, row: f"{g.pick(('Travelers', 'Zurich', 'Liberty Mutual', 'CNA', 'Hartford'))} policy",
    ("budget_line_items", "description"): lambda g, row: _cost_code_entry(row.get("cost_code_id"))[1],
    ("specification_section_divisions", "url"): lambda g, row: g.signed_url(row.get("project_id"), "specification_divisions"),
    ("webhook_hooks", "destination_url"): lambda g, row: f"https://procore-sync.example.com/api/webhooks/procore?hook={row['id']}",
    ("webhook_hooks", "procore_hook_id"): lambda g, row: str(P49 + 30_000 + 17 * g.i),
    ("webhook_triggers", "procore_trigger_id"): lambda g, row: str(P49 + 60_000 + 13 * g.i),
    ("processed_webhook_events", "expires_at"): _later((7 * 86_400, 7 * 86_400)),
    ("api_credentials", "expires_at"): lambda g, row: g.t.updated + timedelta(hours=2),
    ("api_credentials", "access_token"): lambda g, row: "fake-" + g.hexstr(32),
    ("api_credentials", "refresh_token"): lambda g, row: "fake-" + g.hexstr(32),
    ("invoice_submissions", "external_invoice_id"): lambda g, row: f"EXT-{row['id'][:8].upper()}",
    ("invoice_submissions", "invoice_number"): lambda g, row: f"{g.seq('invoice') + 1:05d}",
    ("invoice_submissions", "retry_count"): lambda g, row: g.rng.choice((0, 0, 0, 1, 2)),
    ("company_users", "avatar_url"): lambda g, row: g.signed_url(None, f"users/{row['id']}/avatar"),
    ("submittals", "revision_number"): lambda g, row: g.rng.choice((0, 0, 0, 1, 1, 2)),
    ("invoice_submissions", "completed_at"): lambda g, row: _later((2, 900))(g, row) if row.get("status") == "completed" else None,
    ("commitment_contracts", "title"): lambda g, row: (
        f"{(g.parents.get('vendor_id') or {}).get('trade_name', 'General')} Subcontract" if row.get("type") == "WorkOrderContract"
        else f"Purchase Order - {_cap(g.pick(_ITEMS))}"),
    ("change_orders", "title"): lambda g, row: f"PCO #{g.rng.randint(1, 60):03d} - {_title(g, row)}",
}


def _json_rules() -> None:
    """JSON documents of the larger kinds the real database holds (log data, timecards, summaries, ...),
    registered by column name."""

    def log_data(g: _Gen, row: Row) -> dict[str, Any]:
        return {
            "weather": {"conditions": g.pick(("Clear", "Overcast", "Rain", "Snow", "Windy")), "temperature_high": g.rng.randint(-5, 95)},
            "manpower": [{"company": g.pick(_VENDOR_STEMS) + " " + g.pick(_TRADES), "workers": g.rng.randint(1, 14), "hours": 8}
                         for _ in range(g.rng.randint(1, 4))],
            "notes": g.sentence(),
        }

    def timecard_entries(g: _Gen, row: Row) -> list[dict[str, Any]]:
        entries = []
        for _ in range(g.rng.randint(1, 6)):
            code, name = g.pick(_COST_CODES)
            first, last = g.person()
            entries.append({"id": g.pool("timecard_entry", 2000), "hours": str(g.rng.choice((4, 8, 8, 8, 10))),
                            "party": {"id": g.pool("party", 200), "name": f"{first} {last}"},
                            "cost_code": {"full_code": code, "name": name}, "billable": g.rng.random() < 0.7})
        return entries

    def summary(g: _Gen, row: Row) -> dict[str, Any]:
        done = g.money(5_000, 900_000)
        retain = (done * Decimal("0.10")).quantize(Decimal("0.01"))
        prev = (done * Decimal(str(round(g.rng.uniform(0.3, 0.9), 2)))).quantize(Decimal("0.01"))
        return {"total_completed_and_stored_to_date": str(done), "total_retainage": str(retain),
                "total_earned_less_retainage": str(done - retain), "less_previous_certificates_for_payment": str(prev),
                "current_payment_due": str(done - retain - prev)}

    def change_event_line_items(g: _Gen, row: Row) -> list[dict[str, Any]]:
        return [{"id": g.pool("ce_line_item", 3000), "description": g.sentence(), "cost_code": g.pick(_COST_CODES)[0],
                 "revenue_rom": str(g.money(500, 80_000)), "cost_rom": str(g.money(400, 60_000))}
                for _ in range(g.rng.randint(0, 4))]

    def rfqs(g: _Gen, row: Row) -> list[dict[str, Any]]:
        return [{"id": g.pool("rfq", 500), "status": g.pick(("open", "submitted", "closed")), "due_date": str(g.day(5, 20))}]

    def request_parameters(g: _Gen, row: Row) -> dict[str, Any]:
        return {"project_id": g.pick(g.rows["projects"])["id"], "page": g.rng.randint(1, 12), "per_page": 100,
                "filters": {"updated_at": f"{_iso(g.t.created - timedelta(days=1))}...{_iso(g.t.created)}"}}

    def response_data(g: _Gen, row: Row) -> dict[str, Any]:
        return {"count": g.rng.randint(0, 100), "total": g.rng.randint(100, 9000)}

    def sync_errors(g: _Gen, row: Row) -> Any:
        if row.get("status") in ("failed", "partial") or row.get("success") is False or row.get("response_status", "200")[0] in "45":
            return [{"entity": g.pick(_SYNCED_TABLES), "message": g.pick(("Procore API rate limit exceeded (429)", "timeout after 30s", "503 Service Unavailable"))}]
        return None

    def entity_types(g: _Gen, row: Row) -> list[str]:
        return g.rng.sample(_SYNCED_TABLES, g.rng.randint(1, 6))

    def record_counts(g: _Gen, row: Row) -> dict[str, int]:
        return {t: g.rng.randint(0, 250) for t in row.get("entity_types") or ()}

    def by_resource_type(g: _Gen, row: Row) -> dict[str, Any]:
        return {r: {"deliveries": g.rng.randint(0, 400), "failures": g.rng.randint(0, 5)} for r in g.rng.sample(WEBHOOK_RESOURCES, 3)}

    def payload(g: _Gen, row: Row) -> dict[str, Any]:
        return {"invoice_number": row.get("invoice_number"), "billing_amount": str(row.get("billing_amount") or "0.00"),
                "commitment_id": row.get("commitment_id"), "period": str(g.day(-30, 0))}

    _RULES.update({
        "log_data": log_data, "timecard_entries": timecard_entries, "summary": summary,
        "change_event_line_items": change_event_line_items, "rfqs": rfqs,
        "request_parameters": request_parameters, "response_data": response_data,
        "errors": sync_errors, "error_details": sync_errors, "entity_types": entity_types,
        "record_counts": record_counts, "by_resource_type": by_resource_type,
        "request_payload": payload, "response_payload": lambda g, row: {"id": g.pool("requisition_ref"), "status": "received"},
        "data_payload": lambda g, row: {"id": g.pool("payload_id", 500), "updated_at": _iso(g.t.created)},
        "extended_data": lambda g, row: {"tax_rate": "0.0625"},
        "additional_columns": lambda g, row: {"contingency": str(g.money(1_000, 50_000))},
        "bidding_qualifications": lambda g, row: {"bonding_capacity": str(g.money(500_000, 20_000_000)), "emr": round(g.rng.uniform(0.6, 1.2), 2)},
    })


_json_rules()
# Nullable JSON that the generic NULL share should not blank (they carry their own logic).
_NULLS.update({"errors": 0.0, "error_details": 0.0, "error_message": 0.0})


# --- table hooks: several columns that must agree ------------------------------------------


def _hook_projects(g: _Gen, row: Row) -> None:
    rng = g.rng
    va = g.i == 0 or rng.random() < 0.75  # mostly VA medical-center jobs: station-FY-sequence
    if g.i == 0:
        number = "537-18-141"  # the sample project named in research.md
    elif va:
        number = f"{g.pick(_STATIONS)}-{rng.randint(17, 25)}-{100 + g.seq('project_no') * 3 + rng.randint(0, 2)}"
    else:
        number = f"{rng.randint(21, 25)}-{rng.randint(100, 999)}"
    scope = _SCOPES[g.i % len(_SCOPES)]
    city, zip_ = _CITIES[rng.randrange(5)] if va else g.pick(_CITIES)
    row.update(project_number=number, name=f"{number} {scope}", display_name=scope, city=city, zip=zip_,
               state_code="IL", country_code="US", active=rng.random() < 0.8)


def _hook_vendors(g: _Gen, row: Row) -> None:
    rng = g.rng
    trade = g.pick(_TRADES)
    stem = g.pick(_VENDOR_STEMS) if rng.random() < 0.6 else g.pick(_LAST)
    name = f"{stem} {trade} {g.pick(_VENDOR_SUFFIXES)}"
    slug = _slug(stem + trade)
    union = rng.random() < 0.4
    earlier = g.rows["vendors"]
    row.update(
        name=name, abbreviated_name="".join(w[0] for w in name.split() if w[0].isalpha()).upper()[:6],
        trade_name=trade, email_address=f"info@{slug}.com", website=f"https://www.{slug}.com",
        union_member=union, labor_union=g.pick(_UNIONS) if union else None,
        company_id=COMPANY_ID,
        parent_id=g.pick(earlier)["id"] if earlier and rng.random() < 0.05 else None,
    )


def _hook_company_users(g: _Gen, row: Row) -> None:
    first, last = g.person()
    vendor = g.parents.get("vendor_id")
    domain = vendor["email_address"].split("@")[1] if vendor else GC_DOMAIN
    email = _login(first, last, domain)
    row.update(first_name=first, last_name=last, name=f"{first} {last}", login=email, email_address=email,
               job_title=g.pick(_JOB_TITLES), is_employee=vendor is None, company_id=COMPANY_ID,
               trade_name=vendor["trade_name"] if vendor else None,
               employee_id=f"E{g.rng.randint(1000, 9999)}" if vendor is None else None)


def _hook_project_users(g: _Gen, row: Row) -> None:
    project, user = g.combo(lambda: [(p, u) for p in g.rows["projects"] for u in g.rows["company_users"]])
    row.update(project_id=project["id"], user_id=user["id"], vendor_id=user["vendor_id"],
               is_employee=user["is_employee"], employee_id=user["employee_id"], company_id=COMPANY_ID)


def _hook_project_roles(g: _Gen, row: Row) -> None:
    pu, role = g.combo(lambda: [(pu, r) for pu in g.rows["project_users"] for r in ROLES])
    user = g.row_of("company_users", pu["user_id"])
    row.update(project_id=pu["project_id"], user_id=pu["user_id"], role_name=role,
               user_name=user["name"] if user else "Unknown User")


def _hook_webhook_triggers(g: _Gen, row: Row) -> None:
    hook, resource, event = g.combo(lambda: [(h, r, e) for h in g.rows["webhook_hooks"] for r in WEBHOOK_RESOURCES for e in WEBHOOK_EVENTS])
    row.update(hook_id=hook["id"], resource_name=resource, event_type=event)


def _hook_documents(g: _Gen, row: Row) -> None:
    rng = g.rng
    folders = [d for d in g.by_project_rows("documents", row["project_id"]) if d["is_folder"]]
    is_folder = not folders or rng.random() < 0.15
    parent = g.pick(folders) if folders and rng.random() < 0.85 else None
    if is_folder:
        name = g.pick(_DOC_FOLDERS)
    else:
        name = g.pick(_DOC_FILES).format(date=g.t.created.date().isoformat(), n=rng.randint(1, 9), img=rng.randint(1000, 9999))
    ext = name.rsplit(".", 1)[-1] if not is_folder else None
    row.update(is_folder=is_folder, name=name, parent_id=parent["id"] if parent else None,
               file_type="folder" if is_folder else ext, size=None if is_folder else _file_size(g, row),
               url=None if is_folder else g.signed_url(row["project_id"], "documents"))


def _hook_drawings(g: _Gen, row: Row) -> None:
    prefix, discipline, sheets = g.pick(_DISCIPLINES)
    k = g.seq(("sheet", row["project_id"], prefix))
    sheet = g.pick(sheets)
    level = f" - {g.pick(_LEVELS)}" if sheet.endswith(" PLAN") and prefix not in ("C", "G") else ""
    row.update(drawing_number=f"{prefix}-{100 * (1 + k // 20) + k % 20 + 1}", discipline=discipline, title=f"{sheet}{level}")


def _hook_drawing_revisions(g: _Gen, row: Row) -> None:
    drawing = g.parents["drawing_id"]
    rev = g.seq(("rev", row["drawing_id"]))
    filename = f"{drawing['drawing_number']}.pdf" if drawing else f"SHEET-{g.i}.pdf"
    row.update(revision_number=str(rev), current=False, filename=filename, file_size=_file_size(g, row),
               s3_key=None if g.rng.random() < 0.03 else g.s3_key(row, "drawings", filename))


def _hook_drawing_sets(g: _Gen, row: Row) -> None:
    row["name"] = g.pick(_SET_NAMES).format(n=g.rng.randint(1, 12))


def _hook_drawing_areas(g: _Gen, row: Row) -> None:
    row["name"] = g.pick(_AREAS)


def _hook_divisions(g: _Gen, row: Row) -> None:
    k = g.seq(("division", row["project_id"]))
    number, title = _DIVISIONS[k % len(_DIVISIONS)]
    if k >= len(_DIVISIONS):  # more divisions than CSI has (large scales): keep (project, number) unique
        number = f"{number}.{k // len(_DIVISIONS)}"
    row.update(number=number, description=title)


def _hook_spec_sections(g: _Gen, row: Row) -> None:
    division = g.parents.get("specification_section_division_id")
    prefix = division["number"] if division else "01"
    k = g.seq(("section", row["project_id"], prefix))
    area = _DIVISION_TITLES.get(prefix[:2], "General")
    titles = _SECTION_TITLES.get(prefix[:2], (f"Common Work Results for {area}", f"{area} Materials", f"{area} Installation"))
    title = titles[k % len(titles)] + (f" - Part {k // len(titles) + 1}" if k >= len(titles) else "")
    number = f"{prefix} {5 * (k // 4 + 1):02d} {10 * (k % 4) + 13:02d}"
    row.update(number=number, description=title, label=f"{number} - {title}", current_revision_id=None)


def _hook_spec_revisions(g: _Gen, row: Row) -> None:
    section = g.parents["specification_section_id"]
    if section is None:
        return
    filename = f"{section['number'].replace(' ', '')} - {section['description']}.pdf"
    row.update(number=section["number"], description=section["description"], revision=str(g.rng.choice((0, 0, 1, 2))),
               filename=filename, file_size=_file_size(g, row),
               s3_key=None if g.rng.random() < 0.03 else g.s3_key(row, "specification_sections", filename))


def _hook_photos(g: _Gen, row: Row) -> None:
    filename = f"IMG_{g.rng.randint(1000, 9999)}.{g.pick(('jpg', 'jpg', 'jpg', 'jpeg', 'png'))}"
    subject = g.pick(_PHOTO_SUBJECTS).format(item=g.pick(_ITEMS))
    row.update(url=g.signed_url(row["project_id"], "images"),
               thumbnail_url=g.signed_url(row["project_id"], "images/thumbnails"),
               s3_key=None if g.rng.random() < 0.03 else g.s3_key(row, "photos", filename),
               description=f"{subject} - {g.pick(_PLACES)}" if g.rng.random() < 0.65 else None)


def _hook_submittals(g: _Gen, row: Row) -> None:
    spec = _RULES["spec_section"](g, row)
    k = g.seq(("submittal", row["project_id"], spec)) + 1
    kind = g.pick(("Product Data", "Shop Drawings", "Samples", "O&M Manuals", "Warranty", "Test Reports"))
    row.update(spec_section=spec, number=f"{spec}-{k}", title=f"{spec} - {_cap(g.pick(_ITEMS))} - {kind}",
               status_id=g.pool("submittal_status", 6))


def _hook_submittal_attachments(g: _Gen, row: Row) -> None:
    number = (g.parents["submittal_id"] or {}).get("number", "submittal")
    ext = g.pick(("pdf", "pdf", "pdf", "jpg", "dwg"))
    filename = f"{number.replace(' ', '')}_{g.pick(('Product_Data', 'Shop_Drawings', 'Cut_Sheet', 'Sample_Photo'))}.{ext}"
    mime = {"pdf": "application/pdf", "jpg": "image/jpeg", "dwg": "application/acad"}[ext]
    row.update(filename=filename, content_type=mime, file_size=_file_size(g, row),
               s3_key=g.s3_key(row, "submittals", filename))


def _hook_rfis(g: _Gen, row: Row) -> None:
    item, place = g.pick(_ITEMS), g.pick(_PLACES)
    sheet = f"{g.pick(_DISCIPLINES)[0]}-{g.rng.randint(101, 420)}"
    question = g.pick((
        f"Sheet {sheet} shows the {item} at {place}, but the specification calls for a different product.",
        f"Existing {item} found at {place} conflicts with the new routing shown on {sheet}.",
        f'Field verification shows {place} is {g.rng.randint(2, 18)}" lower than indicated on {sheet}.',
    ))
    row.update(number=str(g.seq(("rfi", row["project_id"])) + 1),
               subject=f"{g.pick(('Clarify', 'Conflict:', 'Confirm', 'Request for'))} {item} at {place}",
               question=f"{question}\n\nPlease advise how to proceed.\n\t- {g.pick(_REFS)}")


def _hook_prime_contracts(g: _Gen, row: Row) -> None:
    """Contract sums that add up the way Procore's do."""
    cents = Decimal("0.01")
    total = g.money(400_000, 25_000_000)
    approved = (total * Decimal(str(round(g.rng.uniform(-0.02, 0.08), 4)))).quantize(cents)
    revised = total + approved
    pending = (total * Decimal(str(round(g.rng.uniform(0, 0.03), 4)))).quantize(cents)
    invoiced = (revised * Decimal(str(round(g.rng.uniform(0.1, 1.0), 4)))).quantize(cents)
    paid = (invoiced * Decimal(str(round(g.rng.uniform(0.8, 1.0), 4)))).quantize(cents)
    row.update(grand_total=total, approved_change_orders=approved, revised_contract_amount=revised,
               pending_change_orders_amount=pending, draft_change_orders_amount=(pending / 2).quantize(cents),
               pending_revised_contract_amount=revised + pending, owner_invoices_amount=invoiced,
               total_payments=paid, outstanding_balance=invoiced - paid,
               percentage_paid=(paid / revised * 100).quantize(Decimal("1e-10")),
               title=f"Prime Contract - {(g.project(row) or {}).get('display_name', 'Project')}")


def _billing_period(g: _Gen, row: Row, start: str, end: str) -> None:
    first = g.t.created.date().replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    row.update({start: first, end: last, "billing_date": last + timedelta(days=g.rng.randint(0, 5))})


def _hook_owner_invoices(g: _Gen, row: Row) -> None:
    _billing_period(g, row, "period_start", "period_end")


def _hook_requisitions(g: _Gen, row: Row) -> None:
    _billing_period(g, row, "requisition_start", "requisition_end")
    contract = g.parents.get("commitment_id")
    if contract:
        row["commitment_type"] = contract["type"]


def _hook_webhook_health(g: _Gen, row: Row) -> None:
    total = g.rng.randint(50, 5_000)
    failing = int(total * g.rng.choice((0, 0, 0.001, 0.01, 0.05)))
    discarded = g.rng.randint(0, failing)
    ok = total - failing - discarded
    row.update(total_deliveries=total, successful_deliveries=ok, failing_deliveries=failing,
               discarded_deliveries=discarded, success_rate=round(ok / total, 4),
               failure_rate=round((failing + discarded) / total, 4), company_id=COMPANY_ID)


def _hook_processed_webhooks(g: _Gen, row: Row) -> None:
    resource = g.pick(list(_RESOURCE_TABLES))
    targets = g.rows.get(_RESOURCE_TABLES[resource]) or []
    # Delete events name rows the mirror has already removed.
    event = g.pick(_TABLE_CHOICES[("processed_webhook_events", "event_type")])
    rid = g.pick(targets)["id"] if targets and event != "delete" else P49 + 9_500_000_000 + g.i
    stamp = int(g.t.created.replace(tzinfo=timezone.utc).timestamp() * 1000)
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    ulid = "".join(alphabet[(stamp >> (5 * (9 - k))) & 31] for k in range(10)) + "".join(g.pick(alphabet) for _ in range(16))
    row.update(resource_name=resource, event_type=event, resource_id=rid, ulid=ulid,
               event_id=P49 + 40_000_000 + 11 * g.i + g.rng.randint(0, 10))


def _hook_integration_responses(g: _Gen, row: Row) -> None:
    request = g.parents["request_id"]
    ok = g.rng.random() < 0.92
    answered = _ms((request["timestamp"] if request else g.t.created) + timedelta(milliseconds=g.rng.randint(80, 4000)))
    g.t = _Times(answered, answered, None)
    row.update(success=ok, timestamp=answered)
    if not ok:
        row["error_details"] = {"status": g.pick((429, 500, 503)), "message": "Procore API request failed"}
        row["data_payload"] = None


def _hook_sync_events(g: _Gen, row: Row) -> None:
    start = _sync_tick(MIRROR_START + (END - MIRROR_START) * g.rng.random())
    row["start_time"] = start
    g.t = _Times(start, start, start)


def _hook_migrations(g: _Gen, row: Row) -> None:
    name = _MIGRATIONS[g.i % len(_MIGRATIONS)] + ("" if g.i < len(_MIGRATIONS) else f"_{g.i}")
    started = datetime.strptime(name[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    row.update(migration_name=name, checksum=hashlib.sha256(name.encode()).hexdigest(), logs=None,
               started_at=started, finished_at=started + timedelta(milliseconds=g.rng.randint(40, 900)),
               rolled_back_at=None, applied_steps_count=1)


def _hook_api_credentials(g: _Gen, row: Row) -> None:
    row.update(credential_type="procore_oauth", token_type="Bearer", company_id=4519 if g.i == 0 else None)


_HOOKS: dict[str, Callable[[_Gen, Row], None]] = {
    "projects": _hook_projects, "vendors": _hook_vendors, "company_users": _hook_company_users,
    "project_users": _hook_project_users, "project_roles": _hook_project_roles,
    "webhook_triggers": _hook_webhook_triggers, "documents": _hook_documents,
    "drawings": _hook_drawings, "drawing_revisions": _hook_drawing_revisions,
    "drawing_sets": _hook_drawing_sets, "drawing_areas": _hook_drawing_areas,
    "specification_section_divisions": _hook_divisions, "specification_sections": _hook_spec_sections,
    "specification_section_revisions": _hook_spec_revisions, "photos": _hook_photos,
    "submittals": _hook_submittals, "submittal_attachments": _hook_submittal_attachments,
    "rfis": _hook_rfis, "prime_contracts": _hook_prime_contracts, "owner_invoices": _hook_owner_invoices,
    "requisitions": _hook_requisitions, "webhook_health_metrics": _hook_webhook_health,
    "processed_webhook_events": _hook_processed_webhooks,
    "integration_response_events": _hook_integration_responses, "sync_events": _hook_sync_events,
    "_prisma_migrations": _hook_migrations, "api_credentials": _hook_api_credentials,
}


# --- fixups that need a later table ---------------------------------------------------------


def _fix_current_revisions(g: _Gen) -> None:
    """specification_sections.current_revision_id -> its latest revision (an implicit link)."""
    latest: dict[Any, Row] = {}
    for rev in g.rows["specification_section_revisions"]:
        latest[rev["specification_section_id"]] = rev
    for section in g.rows["specification_sections"]:
        current = latest.get(section["id"])
        section["current_revision_id"] = current["id"] if current else None


def _fix_current_drawings(g: _Gen) -> None:
    """drawing_revisions.current: only the highest revision of each drawing."""
    latest: dict[Any, Row] = {}
    for rev in g.rows["drawing_revisions"]:
        latest[rev["drawing_id"]] = rev
    for rev in latest.values():
        rev["current"] = True


_FIXUPS: tuple[Callable[[_Gen], None], ...] = (_fix_current_revisions, _fix_current_drawings)


def generate_rows(spec: DemoSpec = DEFAULT_SPEC) -> dict[str, list[Row]]:
    """All demo rows per table, in load order (parents first), as Python values."""
    return _Gen(spec).run()
