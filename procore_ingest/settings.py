"""The configuration file (TOML) and where each effective setting comes from.

Precedence, for every setting: command-line flag > environment (after `.env`) > configuration
file > default. The file is `--config PATH`, else `$PROCORE_CONFIG`, else `procore-ingest.toml`
in the working directory when it exists. It holds non-secret settings only:

    vespa_url = "http://vespa.internal:8080"      # top level (or [common]): every command
    [sync]                                         # one section per command: discover, ingest, sync
    interval = 300
    tables = ["photos", "drawings"]
    [documents]
    context_depth = 2
    [tables.photos]                                # per-table document settings
    display_name = "Photo"
    name_columns = ["name"]

A command's section may also set a common key, for that command only. Unknown keys, wrong types
and secrets (a password in a URL, AWS keys, tokens, key or certificate contents) are refused
with a one-line ConfigError naming the key and the file.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from . import config
from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_CONFIG_FILE = "procore-ingest.toml"
CONFIG_ENV = "PROCORE_CONFIG"
COMMANDS = ("discover", "ingest", "sync")


@dataclass(frozen=True)
class Key:
    """One setting: its type, default, environment variable and bounds."""

    name: str
    kind: type  # str, int, float, bool or list (of str)
    default: Any = None
    env: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None  # exclusive lower bound (a timeout, a size)
    choices: tuple[str, ...] = ()

    def check(self, value: Any) -> Any:
        """`value` if it fits this key, else ValueError saying what is expected."""
        if self.kind is list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("must be a list of strings")
            return list(value)
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.kind) or (self.kind is not bool and isinstance(value, bool)):
            raise ValueError(f"must be {_KIND_NAMES[self.kind]}")
        value = cast(Any, value)
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be at least {self.minimum:g}")
        if self.above is not None and not value > self.above:
            raise ValueError(f"must be greater than {self.above:g}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be at most {self.maximum:g}")
        if self.choices and value not in self.choices:
            raise ValueError(f"must be one of {', '.join(self.choices)}")
        return value

    def parse(self, text: str) -> Any:
        """A value of this key from environment text (lists: comma- or space-separated)."""
        text = text.strip()
        if self.kind is list:
            return self.check([v for v in re.split(r"[,\s]+", text) if v])
        if self.kind is bool:
            lowered = text.lower()
            if lowered not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError("must be true or false")
            return lowered in ("1", "true", "yes", "on")
        try:
            value = self.kind(text)
        except ValueError:
            raise ValueError(f"must be {_KIND_NAMES[self.kind]}") from None
        return self.check(value)


_KIND_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list of strings"}


def _keys(*keys: Key) -> dict[str, Key]:
    return {k.name: k for k in keys}


# Settings every command may read; a command's own section can override them for itself.
COMMON = _keys(
    Key("database_url", str, env="PROCORE_DATABASE_URL"),  # in the file only without a password
    Key("vespa_url", str, config.DEFAULT_VESPA_URL, env="VESPA_LOCAL_URL"),
    Key("state_dir", str, config.DEFAULT_STATE_DIR, env="PROCORE_STATE_DIR"),
    Key("log_level", str, "INFO", env="LOG_LEVEL", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    Key("log_format", str, "text", env="LOG_FORMAT", choices=("text", "json")),
)

_FILES = (  # --download-files and its flags (ingest and sync)
    Key("download_files", bool, False),
    Key("file_workers", int, 2, minimum=1),
    Key("s3_bucket", str, env="S3_BUCKET"),
    Key("max_file_mb", float, 100.0, above=0),
    Key("file_timeout", float, 60.0, above=0),
    Key("render_pages", bool, False),
    Key("embedder", str, env="PROCORE_EMBEDDER"),
    Key("refresh_files", bool, False),
)

_SYNC_STATE = (  # no flags (the CLI contract has none): environment, file or default
    Key("naive_timezone", str, "UTC", env=config.NAIVE_TIMEZONE_ENV),  # config.check_timezone
    Key("max_pending", int, config.DEFAULT_MAX_PENDING, env=config.MAX_PENDING_ENV, minimum=1),
    Key("check_rows", int, config.DEFAULT_CHECK_ROWS, minimum=1),  # file only: the content check's budget
)

SECTIONS: dict[str, dict[str, Key]] = {
    "discover": _keys(
        Key("output", str),
        Key("format", str, "json", choices=("json", "markdown", "both")),
        Key("include_samples", bool, False),
        Key("include_stats", bool, True),
    ),
    "ingest": _keys(
        Key("tables", list), Key("exclude", list),
        Key("batch_size", int, 10_000, minimum=1),
        Key("workers", int, 4, minimum=1),
        Key("processes", int, minimum=1),  # None: one per CPU, at most 4 (pipeline.build)
        *_FILES,
        Key("allow_column", list),
        Key("keep_soft_deleted", bool, False),
        Key("lock_file", str),
        Key("retry_budget", float, 120.0, minimum=0),
        Key("progress", bool),  # None: on when the output is a terminal
        *_SYNC_STATE,  # --incremental runs a sync cycle
    ),
    "sync": _keys(
        Key("tables", list, env="PROCORE_SYNC_TABLES"),
        Key("exclude", list, env="PROCORE_SYNC_EXCLUDE"),
        Key("interval", int, 300, env="PROCORE_SYNC_INTERVAL", minimum=1),
        Key("batch_size", int, 1000, env="PROCORE_SYNC_BATCH_SIZE", minimum=1),
        Key("workers", int, 4, env="PROCORE_SYNC_WORKERS", minimum=1),
        Key("overlap", int, 300, env="PROCORE_SYNC_OVERLAP", minimum=0),
        Key("pid_file", str, "/tmp/procore-sync.pid"),
        Key("keep_soft_deleted", bool, False),
        Key("retry_budget", float, 120.0, minimum=0),
        *_FILES,
        Key("lock_file", str),
        Key("metrics_port", int, env="PROCORE_METRICS_PORT", minimum=0, maximum=65535),
        Key("metrics_host", str, "127.0.0.1"),
        Key("format", str, "text", choices=("text", "json")),
        *_SYNC_STATE,
    ),
}


def command_keys(command: str) -> dict[str, Key]:
    """Every setting `command` resolves: the common ones, then its own."""
    return {**COMMON, **SECTIONS[command]}


@dataclass(frozen=True)
class TableSettings:
    """How one table's rows become documents ([tables.<name>] in the configuration file)."""

    display_name: str | None = None
    name_columns: list[str] | None = None
    content_columns: list[str] | None = None
    context_links: list[str] | None = None  # link columns whose linked rows' names add context
    exclude: bool = False


@dataclass(frozen=True)
class DocumentSettings:
    """[documents]: how far linked rows' names are followed for context."""

    context_depth: int = 2


_TABLE_KEYS = _keys(Key("display_name", str), Key("name_columns", list), Key("content_columns", list),
                    Key("context_links", list), Key("exclude", bool))
_DOCUMENT_KEYS = _keys(Key("context_depth", int, 2, minimum=0))


@dataclass
class ConfigFile:
    """A validated configuration file: per-section values as written, and the table settings."""

    path: Path | None = None
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)  # "common", "discover", ...
    tables: dict[str, TableSettings] = field(default_factory=dict)
    documents: DocumentSettings = field(default_factory=DocumentSettings)

    def value(self, command: str, key: str) -> tuple[Any, str] | None:
        """(value, where) of `key` for `command`: its own section first, then the common one."""
        for section in (command, "common"):
            if key in self.sections.get(section, {}):
                return self.sections[section][key], f"file {self.path} [{section}]"
        return None


# Names that only ever hold secrets: they belong in the environment or `.env`.
_SECRET_NAMES = re.compile(r"password|passwd|secret|token|access_key|private_key|credential|"
                           r"^(vespa_)?(key|cert)(_path)?$|^id_key$", re.I)


def _refuse_secret(where: str, key: str, value: Any) -> None:
    hint = "secrets belong in the environment or .env, not in the configuration file"
    if _SECRET_NAMES.search(key):
        raise ConfigError(f"{where}: {key!r} is a secret: {hint}")
    if isinstance(value, str):
        if "-----BEGIN" in value:
            raise ConfigError(f"{where}: {key!r} holds key or certificate contents: {hint}")
        if key.endswith("_url") and "***" in config.redact_url(value) and "***" not in value:
            raise ConfigError(f"{where}: {key!r} contains a password or token: {hint} "
                              f"(e.g. PROCORE_DATABASE_URL)")


def _validate(where: str, table: dict[str, Any], keys: dict[str, Key]) -> dict[str, Any]:
    out = {}
    for name, value in table.items():
        _refuse_secret(where, name, value)
        key = keys.get(name)
        if key is None:
            raise ConfigError(f"{where}: unknown key {name!r} (known: {', '.join(sorted(keys))})")
        try:
            out[name] = key.check(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: {name!r} {exc}") from None
    return out


def parse_config(data: dict[str, Any], path: Path | None = None) -> ConfigFile:
    """Validate TOML data already read (see `load_config`)."""
    label = str(path) if path else "configuration"
    result = ConfigFile(path=path)
    common: dict[str, Any] = {}
    for name, value in data.items():
        where = f"{label}: [{name}]"
        if name in SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{label}: {name!r} must be a [{name}] section")
            result.sections[name] = _validate(where, value, command_keys(name))
        elif name == "common":
            if not isinstance(value, dict):
                raise ConfigError(f"{label}: 'common' must be a [common] section")
            for key, item in _validate(where, value, COMMON).items():
                if key in common:
                    raise ConfigError(f"{where}: {key!r} is set both at the top level and in [common]")
                common[key] = item
        elif name == "documents":
            if not isinstance(value, dict):
                raise ConfigError(f"{label}: 'documents' must be a [documents] section")
            result.documents = DocumentSettings(**_validate(where, value, _DOCUMENT_KEYS))
        elif name == "tables":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(f"{label}: 'tables' must hold [tables.<name>] sections")
            result.tables = {t: TableSettings(**_validate(f"{label}: [tables.{t}]", v, _TABLE_KEYS))
                             for t, v in value.items()}
        else:  # a top-level key: common to every command
            if isinstance(value, dict):
                raise ConfigError(f"{label}: unknown section [{name}] (known: common, {', '.join(COMMANDS)}, "
                                  f"documents, tables.<name>)")
            for key, item in _validate(f"{label}: top level", {name: value}, COMMON).items():
                if key in common:
                    raise ConfigError(f"{label}: {key!r} is set both at the top level and in [common]")
                common[key] = item
    result.sections["common"] = common
    return result


def config_path(flag_value: str | None) -> tuple[Path | None, bool]:
    """(path, required) of the configuration file: --config, $PROCORE_CONFIG, or
    ./procore-ingest.toml when it exists (not required)."""
    explicit = config.setting(flag_value, CONFIG_ENV)
    if explicit:
        return Path(explicit), True
    default = Path.cwd() / DEFAULT_CONFIG_FILE
    return (default, False) if default.is_file() else (None, False)


def load_config(flag_value: str | None = None) -> ConfigFile:
    """The configuration file in effect (an empty ConfigFile when there is none)."""
    path, required = config_path(flag_value)
    if path is None:
        return ConfigFile()
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        if required:
            raise ConfigError(f"configuration file {path} not found") from None
        return ConfigFile()
    except OSError as exc:
        raise ConfigError(f"configuration file {path} cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, path)


@dataclass
class Effective:
    """Every setting of one command with the value in effect and where it came from."""

    command: str
    file: ConfigFile
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # "flag", "env NAME", "file ...", "default"


def resolve(command: str, flags: dict[str, Any], file: ConfigFile,
            names: list[str] | None = None) -> Effective:
    """Each setting of `command` (or just `names`): flag (not None) > environment > file > default."""
    config.load_env_file()
    out = Effective(command, file)
    keys = command_keys(command)
    for name in names if names is not None else list(keys):
        key = keys[name]
        flag = flags.get(name)
        if flag is not None:
            try:
                out.values[name], out.sources[name] = key.check(flag), "flag"
            except ValueError as exc:
                raise ConfigError(f"--{name.replace('_', '-')} {exc}") from None
            continue
        text = os.environ.get(key.env) if key.env else None
        if text not in (None, ""):
            assert key.env is not None and text is not None
            try:
                value = key.parse(text.upper() if name == "log_level" else text)
            except ValueError as exc:
                raise ConfigError(f"{key.env}: {exc} (got {text.strip()[:20]!r})") from None
            out.values[name], out.sources[name] = value, f"env {key.env}"
            continue
        found = file.value(command, name)
        if found is not None:
            out.values[name], out.sources[name] = found
            continue
        out.values[name], out.sources[name] = key.default, "default"
    return out
