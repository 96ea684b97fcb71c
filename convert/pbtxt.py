"""A small reader for Triton's config.pbtxt (protobuf text format), standard library only.

It parses the syntax, not the schema: every field becomes a list of values under its name
(repeated or not), a message becomes a dict, enum names stay strings. That is all the
conversion scripts need (state pairs, parameters, dims); the server has the typed parser.

    cfg = pbtxt.load("models/accumulate/config.pbtxt")
    cfg["max_batch_size"][0]                  -> 64
    pbtxt.parameters(cfg)["state_pairs"]      -> "<<<Accumulate_In, Accumulate_Out>>>"
"""

import re

_TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?[fF]?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<punct>[{}\[\]:,;<>])
""", re.VERBOSE)


class PbtxtError(ValueError):
    pass


def _tokens(text, source):
    pos, line = 0, 1
    out = []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise PbtxtError("%s:%d: unexpected character %r" % (source, line, text[pos]))
        kind = m.lastgroup
        if kind != "space":
            out.append((kind, m.group(kind), line))
        line += m.group(0).count("\n")
        pos = m.end()
    return out


def _unquote(s):
    body = s[1:-1]
    return bytes(body, "utf-8").decode("unicode_escape") if "\\" in body else body


class _Parser:
    def __init__(self, tokens, source):
        self.t, self.i, self.source = tokens, 0, source

    def _peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None, self.t[-1][2] if self.t else 1)

    def _take(self, value=None):
        tok = self._peek()
        if tok[0] is None or (value is not None and tok[1] != value):
            raise PbtxtError("%s:%d: expected %s, found %s" % (
                self.source, tok[2], repr(value) if value else "a token", repr(tok[1]) if tok[1] else "end of file"))
        self.i += 1
        return tok

    def message(self, closing=None):
        fields = {}
        while True:
            kind, value, line = self._peek()
            if kind is None:
                if closing:
                    raise PbtxtError("%s:%d: missing %r" % (self.source, line, closing))
                return fields
            if value == closing:
                self.i += 1
                return fields
            if kind != "ident":
                raise PbtxtError("%s:%d: expected a field name, found %r" % (self.source, line, value))
            self.i += 1
            has_colon = self._peek()[1] == ":"
            if has_colon:
                self.i += 1
            if self._peek()[1] == "[":
                self.i += 1
                values = fields.setdefault(value, [])
                while self._peek()[1] != "]":
                    values.append(self._value())
                    if self._peek()[1] == ",":
                        self.i += 1
                self._take("]")
            else:
                fields.setdefault(value, []).append(self._value(scalar_only=has_colon and self._peek()[1] not in ("{", "<")))
            if self._peek()[1] in (",", ";"):
                self.i += 1

    def _value(self, scalar_only=False):
        kind, value, line = self._peek()
        if value in ("{", "<") and not scalar_only:
            self.i += 1
            return self.message("}" if value == "{" else ">")
        self.i += 1
        if kind == "string":
            parts = [_unquote(value)]
            while self._peek()[0] == "string":  # adjacent strings concatenate
                parts.append(_unquote(self._take()[1]))
            return "".join(parts)
        if kind == "number":
            v = value.rstrip("fF")
            return float(v) if any(c in v for c in ".eE") else int(v)
        if kind == "ident":
            return {"true": True, "True": True, "false": False, "False": False}.get(value, value)
        raise PbtxtError("%s:%d: expected a value, found %r" % (self.source, line, value))


def loads(text, source="<config>"):
    """Parses protobuf text format into {field: [values]} (messages are dicts)."""
    return _Parser(_tokens(text, source), source).message()


def load(path):
    with open(path, encoding="utf-8") as f:
        return loads(f.read(), path)


def first(msg, name, default=None):
    """The first value of a field (for singular fields)."""
    values = msg.get(name)
    return values[0] if values else default


def parameters(cfg):
    """parameters [ { key, value { string_value } } ] as {key: string_value}."""
    out = {}
    for p in cfg.get("parameters", []):
        key = first(p, "key")
        value = first(p, "value", {})
        out[key] = first(value, "string_value", "") if isinstance(value, dict) else str(value)
    return out


_PAIR = re.compile(r"<<<\s*([^<>,\s]+)\s*,\s*([^<>,\s]+)\s*>>>")


def parse_state_pairs(text):
    """"<<<In1, Out1>>> <<<In2, Out2>>>" -> [(In1, Out1), (In2, Out2)]; anything else but
    separators (spaces, commas, semicolons) between pairs is an error."""
    pairs = _PAIR.findall(text)
    rest = _PAIR.sub("", text).strip(" \t\r\n,;")
    if rest or not pairs:
        raise PbtxtError("state_pairs %r: expected one or more <<<input_name, output_name>>>" % text)
    return pairs
