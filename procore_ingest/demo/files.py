"""The demo's files: a local S3 endpoint holding one generated object for every S3 key the
demo database refers to, so that `--download-files` can be shown without AWS or a network.

`start_demo_s3(database_url)` starts moto's S3 server (`ThreadedMotoServer`, the `demo` extra)
on 127.0.0.1 in this process, creates the bucket, reads the keys of the chosen tables from the
database (`submittal_attachments.s3_key`, the values of `change_orders.attachment_s3_keys`) and
uploads for each a small file that fits its row: a 1-3 page PDF whose text names the change
order or submittal, its project and scope, a PNG for photos, a placeholder for other types.
The same database and seed always give the same bytes.

`make_pdf` and `make_png` write such files without any library (the tests use them too).
"""

from __future__ import annotations

import logging
import mimetypes
import random
import struct
import time
import zlib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

DEMO_BUCKET = "procore-demo-files"
DEFAULT_TABLES = ("submittal_attachments", "change_orders")
# moto accepts any credentials; these only have to look like some (and never be real ones).
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "demo-access-key", "AWS_SECRET_ACCESS_KEY": "demo-secret-key"}
REGION = "us-east-1"


# --- files ---------------------------------------------------------------------------------------


def make_pdf(pages: Sequence[str], *, image_bytes: int = 0, seed: int = 0) -> bytes:
    """A minimal valid PDF: one page per string (lines split on \\n), Helvetica text.

    With `image_bytes`, every page also shows an uncompressed grey image of about that many
    (pseudo-random, so incompressible) bytes, as scanned pages carry: realistic file sizes
    without more text to extract.
    """
    n = len(pages)
    font = 3 + 2 * n
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(f'{3 + 2 * i} 0 R' for i in range(n))}] /Count {n} >>".encode()]
    rng = random.Random(seed)
    width = 512
    height = max(1, -(-image_bytes // width))
    images = []
    for i, text in enumerate(pages):
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in text.split("\n"):
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        xobject = ""
        if image_bytes:
            image = font + 1 + i
            ops.append("q 468 0 0 200 72 72 cm /Im0 Do Q")
            xobject = f"/XObject << /Im0 {image} 0 R >> "
            images.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                          b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (width, height, width * height)
                          + rng.randbytes(width * height) + b"\nendstream")
        stream = "\n".join(ops).encode("latin-1", "replace")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font} 0 R >> {xobject}>> >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.extend(images)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid RGB PNG of one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# --- what the demo database refers to ------------------------------------------------------------


@dataclass(frozen=True)
class DemoObject:
    """One S3 key a row refers to, with the row's facts its file's text is made of."""

    key: str
    table: str
    row: dict[str, Any] = field(hash=False, compare=False)

    @property
    def filename(self) -> str:
        return self.key.rsplit("/", 1)[-1]


# One query per supported table: the key column(s) and the facts of the row and its parents.
_SOURCES: dict[str, tuple[str, str]] = {
    "submittal_attachments": ("s3_key", """
        SELECT a.id, a.s3_key, a.filename, s.number, s.title, s.spec_section, s.revision_number,
               s.due_date, p.name AS project, p.city, p.state_code
        FROM submittal_attachments a
        LEFT JOIN submittals s ON s.id = a.submittal_id
        LEFT JOIN projects p ON p.id = a.project_id
        WHERE a.s3_key IS NOT NULL
        ORDER BY a.id"""),
    "change_orders": ("attachment_s3_keys", """
        SELECT c.id, c.attachment_s3_keys, c.number, c.title, c.description, c.status,
               c.cost_impact, c.schedule_impact, c.package_type, c.created_at, p.name AS project,
               p.city, p.state_code
        FROM change_orders c
        LEFT JOIN projects p ON p.id = c.project_id
        WHERE c.attachment_s3_keys IS NOT NULL
        ORDER BY c.id"""),
}


def referenced_objects(database_url: str, tables: Iterable[str] = DEFAULT_TABLES) -> list[DemoObject]:
    """Every bare S3 key the rows of `tables` refer to (first row wins), read with the same
    reference rules `--download-files` uses (so JSONB maps, arrays and strings all count)."""
    import psycopg2
    import psycopg2.extras

    from ..discovery.filerefs import extract_references

    unknown = sorted(set(tables) - set(_SOURCES))
    if unknown:
        raise ValueError(f"no demo files for table(s) {', '.join(unknown)} "
                         f"(supported: {', '.join(_SOURCES)})")
    found: dict[str, DemoObject] = {}
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            for table in tables:
                column, query = _SOURCES[table]
                cur.execute(query)
                for row in cur.fetchall():
                    for ref in extract_references(row[column], column, "s3_key"):
                        if ref.s3_key and not ref.bucket and ref.s3_key not in found:
                            found[ref.s3_key] = DemoObject(ref.s3_key, table, dict(row))
    finally:
        conn.close()
    return list(found.values())


# --- the files' contents -------------------------------------------------------------------------

_VENDORS = ("Prairie State Mechanical, Inc.", "Lakeshore Electrical LLC", "Great Lakes Fire Protection Co.",
            "Heartland Drywall Group", "Fox Valley Sheet Metal Corp.", "Windy City Controls LLC",
            "Tri-County Plumbing & Sons, Inc.", "Midwest Insulation Services LLC")
_MANUFACTURERS = ("Trane", "Carrier", "Daikin Applied", "Greenheck", "Titus", "Victaulic", "Siemens",
                  "Johnson Controls", "Zurn", "Price Industries", "Ruskin", "Eaton")
_GC = "EOS Builders, Inc."


def _money(value: Any) -> str:
    return f"${Decimal(value):,.2f}" if value is not None else "to be determined"


def _place(row: dict[str, Any]) -> str:
    return ", ".join(str(x) for x in (row.get("city"), row.get("state_code")) if x)


def _change_order_pages(obj: DemoObject, rng: random.Random) -> list[str]:
    r = obj.row
    number = r.get("number") or f"#{r['id']}"
    project = r.get("project") or "the project"
    title = r.get("title") or "Change order"
    description = r.get("description") or "See attached scope."
    cost = r.get("cost_impact")
    days = r.get("schedule_impact")
    vendor = rng.choice(_VENDORS)
    name = obj.filename.lower()
    head = [f"{_GC} - {project}" + (f" ({_place(r)})" if _place(r) else ""),
            ""]
    if "backup" in name or "quote" in name:
        total = Decimal(cost) if cost is not None else Decimal(rng.randint(2_000, 90_000))
        labor = (total * Decimal(rng.uniform(0.35, 0.55))).quantize(Decimal("0.01"))
        material = (total * Decimal(rng.uniform(0.25, 0.4))).quantize(Decimal("0.01"))
        markup = total - labor - material
        kind = "Pricing backup" if "backup" in name else f"Quotation from {vendor}"
        pages = ["\n".join(head + [
            f"{kind} for change order {number}",
            f"Scope: {title}",
            description,
            "",
            f"Labor ({rng.randint(24, 400)} hours):  {_money(labor)}",
            f"Materials and equipment:  {_money(material)}",
            f"Overhead, profit and bond:  {_money(markup)}",
            f"Total:  {_money(total)}",
        ])]
        if rng.random() < 0.6:
            pages.append("\n".join([
                f"Change order {number} - clarifications and exclusions",
                f"Quote prepared by {vendor}; valid 30 days.",
                "Excludes after-hours work, permits and fees unless noted.",
                f"Schedule impact claimed: {days if days is not None else 'none'} calendar days.",
            ]))
        return pages
    if "signed" in name:
        return ["\n".join(head + [
            f"Change order {number} - executed",
            f"{title}",
            f"Contract sum changed by {_money(cost)}; contract time changed by {days or 0} days.",
            f"Status: {r.get('status') or 'pending'}",
            "",
            f"Contractor: {_GC}        Signed: ____________________",
            "Owner's representative (COR)        Signed: ____________________",
        ])]
    pages = ["\n".join(head + [
        f"Change order {number} for project {project}",
        f"{title}",
        "",
        f"Description: {description}",
        f"Reason: {rng.choice(('owner request', 'unforeseen condition', 'design change', 'code requirement'))}",
        f"Cost impact: {_money(cost)}",
        f"Schedule impact: {days if days is not None else 0} calendar days",
        f"Status: {r.get('status') or 'pending'}" + (f" ({r['package_type']})" if r.get("package_type") else ""),
    ])]
    for extra in range(rng.randint(0, 2)):
        pages.append("\n".join([
            f"Change order {number} - {('scope of work', 'attachments and approvals')[extra]}",
            f"{title}: work by {vendor}.",
            description,
            f"Performed at {project}; coordinate shutdowns with the facility 72 hours ahead.",
        ]))
    return pages


def _submittal_pages(obj: DemoObject, rng: random.Random) -> list[str]:
    r = obj.row
    number = r.get("number") or f"#{r['id']}"
    title = r.get("title") or "Submittal"
    project = r.get("project") or "the project"
    item = title.split(" - ")[1] if title.count(" - ") >= 2 else title
    maker = rng.choice(_MANUFACTURERS)
    kind = obj.filename.rsplit(".", 1)[0].split("_", 1)[-1].replace("_", " ")
    pages = ["\n".join([
        f"Submittal {number} rev {r.get('revision_number') or 1} - {kind}",
        f"Project: {project}" + (f" ({_place(r)})" if _place(r) else ""),
        f"Spec section {r.get('spec_section') or ''}: {title}",
        "",
        f"Manufacturer: {maker}, model {rng.choice('ABCDEFGH')}{rng.randint(100, 999)}-{item[:3].upper()}",
        f"Item: {item}",
        f"Submitted by {rng.choice(_VENDORS)} through {_GC}",
        f"Required by: {r.get('due_date') or 'per schedule'}",
    ])]
    for extra in range(rng.randint(0, 2)):
        pages.append("\n".join([
            f"Submittal {number} - {('performance data', 'installation and warranty')[extra]}",
            f"{maker} {item}: dimensions, weights and ratings per schedule on sheet "
            f"{rng.choice('MPEA')}-{rng.randint(501, 610)}."
            if extra == 0 else f"Install {item} per {maker} instructions; warranty {rng.randint(1, 5)} years.",
            "Reviewed for general conformance with the contract documents.",
        ]))
    return pages


def demo_file(obj: DemoObject, seed: int = 0) -> tuple[bytes, str]:
    """The bytes and content type of one demo object, deterministic from (seed, key)."""
    rng = random.Random(f"{seed}:{obj.key}")
    ext = obj.filename.rsplit(".", 1)[-1].lower() if "." in obj.filename else ""
    if ext == "pdf":
        pages = (_change_order_pages if obj.table == "change_orders" else _submittal_pages)(obj, rng)
        return make_pdf(pages), "application/pdf"
    if ext in ("jpg", "jpeg", "png"):
        # a PNG whatever the name says: metadata-only either way, and the sniffer reads magic bytes
        shade = rng.randint(90, 200)
        return make_png(16, 12, (shade, shade, shade - 20)), "image/png"
    ctype = mimetypes.guess_type(obj.filename)[0] or "application/octet-stream"
    return f"Demo placeholder for {obj.filename} ({obj.table} {obj.row.get('id')})\n".encode(), ctype


# --- the S3 endpoint -----------------------------------------------------------------------------


@dataclass
class DemoS3:
    """A running local S3 endpoint with the demo's objects (stop it with `stop()`)."""

    endpoint: str
    bucket: str
    objects: int = 0
    total_bytes: int = 0
    upload_s: float = 0.0
    _server: Any = None

    @property
    def env(self) -> dict[str, str]:
        """What a child process needs to use this endpoint through boto3's standard settings."""
        return {"AWS_ENDPOINT_URL": self.endpoint, **FAKE_CREDENTIALS, "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true", "S3_BUCKET": self.bucket}

    def client(self, max_pool_connections: int = 10):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                            config=Config(max_pool_connections=max_pool_connections,
                                          s3={"addressing_style": "path"}))

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def child_env(base: dict[str, str], s3: DemoS3) -> dict[str, str]:
    """`base` without the user's own AWS settings (a profile, a session token or an
    AWS_ENDPOINT_URL_S3 would win over ours), plus the demo endpoint's."""
    return {**{k: v for k, v in base.items() if not k.startswith("AWS_")}, **s3.env}


def start_s3_server(bucket: str = DEMO_BUCKET) -> DemoS3:
    """moto's S3 server on 127.0.0.1 (a free port) with `bucket` created, in this process."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise ImportError("the demo's S3 endpoint needs moto: pip install -e '.[demo]'") from None
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = DemoS3(f"http://{host}:{port}", bucket, _server=server)
    try:
        s3.client().create_bucket(Bucket=bucket)
    except BaseException:
        s3.stop()
        raise
    return s3


def upload(s3: DemoS3, items: Iterable[tuple[str, bytes, str]], workers: int = 8) -> None:
    """Put (key, bytes, content type) objects with one client shared by `workers` threads."""
    client = s3.client(max_pool_connections=workers)
    # botocore waits for "100 Continue" before each body: a round trip that doubles the time of
    # small puts to a local endpoint
    client.meta.events.register("before-send.s3.PutObject", _no_expect_continue)

    def put(item: tuple[str, bytes, str]) -> int:
        key, data, ctype = item
        client.put_object(Bucket=s3.bucket, Key=key, Body=data, ContentType=ctype)
        return len(data)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="demo-s3-upload") as pool:
        for size in pool.map(put, items):
            s3.objects += 1
            s3.total_bytes += size


def _no_expect_continue(request: Any, **_: Any) -> None:
    request.headers.pop("Expect", None)


def start_demo_s3(database_url: str, tables: Iterable[str] = DEFAULT_TABLES, *, bucket: str = DEMO_BUCKET,
                  seed: int = 0) -> DemoS3:
    """A local S3 endpoint holding a generated file for every S3 key `tables` refer to."""
    started = time.monotonic()
    objects = referenced_objects(database_url, tables)
    s3 = start_s3_server(bucket)
    try:
        upload(s3, ((obj.key, *demo_file(obj, seed)) for obj in objects))
    except BaseException:
        s3.stop()
        raise
    s3.upload_s = time.monotonic() - started
    return s3
