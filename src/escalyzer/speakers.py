"""Speaker label normalisation from a data file of aliases (``resources/speakers.yaml``)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from .errors import ResourceError
from .transcript import ROLES


def _key(label: str) -> str:
    s = unicodedata.normalize("NFKC", label).strip().lower()
    # "オペレーター(佐藤)" / "SV 田中" / "agent_1": keep the role word only
    s = re.sub(r"[\s_\-]*[(（\[].*$", "", s)
    s = re.sub(r"[\s_\-]*\d+$", "", s)
    return s.strip()


_SEPARATORS = " _-:：・\u3000"
_NAME_START = re.compile(r"[\s_\-:：・]*[\u3040-\u30ff\u3400-\u9fff々〆]")


def _exact_key(label: str) -> str:
    """An id compared as given, up to width, case and surrounding space (``SPK_0`` == ``spk_0``)."""
    return unicodedata.normalize("NFKC", label).strip().lower()


def _load_alias_file(text: str, path: str) -> dict[str, str]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ResourceError(f"[E030] {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ResourceError(f"[E030] {path}: expected a mapping role -> list of aliases")
    out: dict[str, str] = {}
    for role, aliases in data.items():
        if role not in ROLES:
            raise ResourceError(f"[E030] {path}: unknown role {role!r} (expected one of {', '.join(ROLES)})")
        for alias in aliases or []:
            key = _key(str(alias))
            # an id such as "spk_0" or "agent-7f2" is matched exactly (see SpeakerMap.exact), it is not
            # an alias: "spk_0" must not make every "spk_N" label this role
            if key and key == _exact_key(str(alias)):
                out[key] = role
    return out


@lru_cache(maxsize=1)
def _default_aliases() -> dict[str, str]:
    text = resources.files("escalyzer").joinpath("resources/speakers.yaml").read_text("utf-8")
    return _load_alias_file(text, "resources/speakers.yaml")


class SpeakerMap:
    """Maps raw labels (お客様, OP, SV 田中, agent_2 ...) to ``customer|agent|supervisor``.

    Parameters
    ----------
    extra_file: an optional YAML file of the same shape as ``resources/speakers.yaml``; its aliases
        win over the defaults. It can also map exact participant ids (``"agent-7f2": supervisor``).
    """

    def __init__(self, extra_file: str | Path | None = None, extra: dict[str, str] | None = None):
        self.aliases = dict(_default_aliases())
        self.exact: dict[str, str] = {}
        self._exact_norm: dict[str, str] = {}
        if extra_file is not None:
            p = Path(extra_file)
            data = _load_alias_file(p.read_text("utf-8"), str(p))
            self.aliases.update(data)
            raw = yaml.safe_load(p.read_text("utf-8")) or {}
            for role, aliases in raw.items():
                for a in aliases or []:
                    self.exact[str(a)] = role
                    self._exact_norm[_exact_key(str(a))] = role
        for k, v in (extra or {}).items():
            k = str(k)  # CCAI user ids are numbers
            if v not in ROLES:
                raise ResourceError(f"[E030] speaker map: unknown role {v!r} for {k!r}")
            self.exact[k] = v
            self._exact_norm[_exact_key(k)] = v
            # A participant id such as ``spk_0`` or ``agent-7f2`` is an exact id, not an alias: only a
            # label that is a role word as it stands (``SV``, ``受付``) extends the aliases, otherwise
            # ``{"spk_0": "agent", "spk_1": "customer"}`` would map every ``spk_N`` to the customer.
            if _key(k) == _exact_key(k) and _key(k):
                self.aliases[_key(k)] = v

    def role(self, label: str | None) -> str | None:
        """The role for ``label``, or None when it is unknown."""
        if label is None:
            return None
        if label in self.exact:
            return self.exact[label]
        if self._exact_norm:
            role = self._exact_norm.get(_exact_key(label))
            if role is not None:
                return role
        key = _key(label)
        role = self.aliases.get(key)
        if role is not None or not key:
            return role
        # "SV 鈴木", "オペレーター佐藤", "OP田中", "客 山田": a role word followed by a Japanese name
        # (a one-character word only before a separator); "customer service" or "客室" are not matched
        for alias in sorted((a for a in self.aliases if key.startswith(a)), key=len, reverse=True):
            rest = key[len(alias):]
            if _NAME_START.match(rest) and (len(alias) >= 2 or rest[0] in _SEPARATORS):
                return self.aliases[alias]
        return None

    def exact_role(self, participant_id: str | None) -> str | None:
        """The role given to exactly this participant id (``--speaker-map``/``participant_map``), or None."""
        if participant_id is None:
            return None
        if participant_id in self.exact:
            return self.exact[participant_id]
        return self._exact_norm.get(_exact_key(participant_id))
