"""What the demo database holds: its name, the planned row count of every table, the spec."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConfigError

DEMO_DATABASE = "procore_int_v2"
DEFAULT_EMBEDDED_DIR = ".procore_ingest/demo-pg"

P49 = 2**49  # Procore ids are 2^49 + a per-entity number, not sequences
COMPANY_ID = P49 + 4_519
GC_NAME = "EOS Builders, Inc."
GC_DOMAIN = "eosbuilders.com"

ROLES = (
    "Project Manager", "Superintendent", "Project Engineer", "Architect", "Owner's Representative",
    "Assistant Project Manager", "Safety Manager", "MEP Coordinator", "Contracting Officer",
    "COR", "Commissioning Agent", "Estimator",
)
WEBHOOK_RESOURCES = ("Projects", "RFIs", "Submittals", "Change Orders", "Change Events", "Drawings",
                      "Drawing Revisions", "Photos", "Images", "Documents", "Commitment Contracts",
                      "Prime Contracts", "Requisitions", "Direct Costs", "Budget Line Items", "Vendors",
                      "Project Users", "Specification Sections", "Timesheets", "Daily Logs")
WEBHOOK_EVENTS = ("create", "update", "delete")

# --- planned row counts (the real database's, see docs/documents.md; tables without a known count get small ones)

BASE_COUNTS: dict[str, int] = {
    "_prisma_migrations": 10,
    "api_credentials": 3,
    "audit_records": 1356,
    "budget_line_items": 518,
    "budget_views": 62,
    "change_events": 180,
    "change_orders": 516,
    "commitment_change_order_items": 260,
    "commitment_change_orders": 137,
    "commitment_contract_items": 380,
    "commitment_contracts": 318,
    "company_users": 590,
    "daily_logs": 16,
    "direct_cost_items": 1450,
    "direct_costs": 252,
    "documents": 240,
    "drawing_areas": 32,
    "drawing_revisions": 5481,
    "drawing_sets": 153,
    "drawings": 5701,
    "integration_request_events": 120,
    "integration_response_events": 116,
    "invoice_submissions": 24,
    "owner_invoices": 40,
    "photos": 7631,
    "prime_contract_change_orders": 7,
    "prime_contract_line_items": 62,
    "prime_contracts": 8,
    "processed_webhook_events": 400,
    "project_roles": 103,
    "project_users": 1610,
    "projects": 31,
    "requisitions": 2704,
    "rfis": 308,
    "specification_section_divisions": 308,
    "specification_section_revisions": 2145,
    "specification_sections": 2145,
    # 0 in the real database, but the file pipeline needs S3 keys here too.
    "submittal_attachments": 50,
    "submittals": 500,
    "sync_events": 5973,
    "timesheets": 5413,
    "vendor_insurances": 420,
    "vendors": 346,
    "webhook_health_metrics": 96,
    "webhook_hooks": 2,
    "webhook_triggers": 40,
}


@dataclass(frozen=True)
class DemoSpec:
    """What to build: the random seed, a multiplier for every row count, and formal FKs or not."""

    seed: int = 42
    scale: float = 1.0
    foreign_keys: bool = True


DEFAULT_SPEC = DemoSpec()  # immutable, so safe as a shared default argument


def row_counts(scale: float = 1.0) -> dict[str, int]:
    """The planned rows per table at `scale` (at least one per table; unique keys respected)."""
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ConfigError(f"scale must be a positive number, not {scale!r}")
    counts = {t: max(1, round(n * scale)) for t, n in BASE_COUNTS.items()}
    # Tables with a composite unique key cannot hold more rows than there are combinations.
    caps = {
        "project_users": counts["projects"] * counts["company_users"],
        "project_roles": counts["project_users"] * len(ROLES),
        "webhook_triggers": counts["webhook_hooks"] * len(WEBHOOK_RESOURCES) * len(WEBHOOK_EVENTS),
        "integration_response_events": counts["integration_request_events"],  # 1:1, unique
    }
    for table, cap in caps.items():
        counts[table] = min(counts[table], cap)
    return counts
