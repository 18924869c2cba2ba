"""Application commands as Discord checks and delivers them, for the fake Discord.

Registration (`PUT /applications/{app}[/guilds/{guild}]/commands`) is refused with
400 / 50035 like Discord does when a command breaks the published rules
(discord-api-spec: ApplicationCommandCreateRequest / ApplicationCommandOption):
lower-case names of 1–32 word characters, descriptions of 1–100, at most 25
options per level, sub-command groups (type 2) only at the top and holding only
sub-commands (type 1), sub-commands holding only value options (3 string,
4 integer, 5 boolean, 6 user, …), no mixing of sub-commands and value options on
one level, required options before optional ones, at most 25 choices and never
choices with autocomplete, string lengths within 0–6000, integer bounds only on
numbers, `default_member_permissions` an integer bitfield or null (answered as a string), at most
4000 characters of names, descriptions and choices per command.

Invocation: `interaction_data` builds the `data` of an APPLICATION_COMMAND
interaction for a registered command path the way Discord sends it (typed option
values, user options as ids plus `resolved` users and members), and refuses what
Discord's client would not let a member send (an unknown path or option, a
missing required option, a value outside its choices or bounds).
"""

from __future__ import annotations

import re
from typing import Any

NAME = re.compile(r"^[-_\w]{1,32}$")
SUB_COMMAND, GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(1, 12)
VALUE_TYPES = {STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT}
PYTHON_TYPES = {STRING: str, INTEGER: int, BOOLEAN: bool, NUMBER: (int, float)}
MAX_COMMANDS = 100  # chat-input commands per scope
MAX_OPTIONS = 25
MAX_CHARS = 4000


class CommandUnavailable(AssertionError):
    """Discord would not send this: the command, path or option does not exist for the member."""


def _name_problem(name: Any, where: str) -> str | None:
    if not isinstance(name, str) or not NAME.match(name) or name != name.lower():
        return f"{where}.name: Command name is invalid"
    return None


def _description_problem(description: Any, where: str) -> str | None:
    if not isinstance(description, str) or not 1 <= len(description) <= 100:
        return f"{where}.description: Must be between 1 and 100 in length."
    return None


def _chars(node: dict[str, Any]) -> int:
    total = len(node.get("name", "")) + len(node.get("description", ""))
    total += sum(len(str(c.get("name", ""))) + len(str(c.get("value", ""))) for c in node.get("choices") or [])
    return total + sum(_chars(o) for o in node.get("options") or [])


def _value_option_problem(option: dict[str, Any], where: str) -> str | None:
    kind = option["type"]
    choices = option.get("choices") or []
    if len(choices) > MAX_OPTIONS:
        return f"{where}.choices: Must be 25 or fewer in length."
    if choices and option.get("autocomplete"):
        return f"{where}.autocomplete: Autocomplete cannot be set with choices."
    for choice in choices:
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            return f"{where}.choices.name: Must be between 1 and 100 in length."
        if not isinstance(choice.get("value"), PYTHON_TYPES.get(kind, ())):
            return f"{where}.choices.value: Must be of the option's type."
        if kind == STRING and len(choice["value"]) > 100:
            return f"{where}.choices.value: Must be 100 or fewer in length."
    if ("min_length" in option or "max_length" in option) and kind != STRING:
        return f"{where}: min_length/max_length are for string options."
    if not 0 <= option.get("min_length", 0) <= 6000 or not 1 <= option.get("max_length", 6000) <= 6000:
        return f"{where}: string lengths must be within 0-6000."
    if ("min_value" in option or "max_value" in option) and kind not in (INTEGER, NUMBER):
        return f"{where}: min_value/max_value are for integer and number options."
    if option.get("autocomplete") and kind not in (STRING, INTEGER, NUMBER):
        return f"{where}.autocomplete: only string, integer and number options autocomplete."
    return None


def _options_problem(options: Any, where: str, depth: int) -> str | None:
    if not isinstance(options, list) or len(options) > MAX_OPTIONS:
        return f"{where}.options: Must be 25 or fewer in length."
    names = [o.get("name") for o in options]
    if len(set(names)) != len(names):
        return f"{where}.options: option names must be unique."
    kinds = {o.get("type") for o in options}
    nested = kinds & {SUB_COMMAND, GROUP}
    if nested and kinds - nested:
        return f"{where}.options: sub-commands cannot be mixed with value options."
    optional_seen = False
    for i, option in enumerate(options):
        at = f"{where}.options.{i}"
        if problem := _name_problem(option.get("name"), at) or _description_problem(option.get("description"), at):
            return problem
        kind = option.get("type")
        if kind == GROUP:
            if depth != 0:
                return f"{at}: a sub-command group can only be at the top level."
            subs = option.get("options") or []
            if not subs or any(s.get("type") != SUB_COMMAND for s in subs):
                return f"{at}.options: a sub-command group holds 1-25 sub-commands."
            if problem := _options_problem(subs, at, depth + 1):
                return problem
        elif kind == SUB_COMMAND:
            values = option.get("options") or []
            if any(v.get("type") not in VALUE_TYPES for v in values):
                return f"{at}.options: a sub-command holds only value options."
            if problem := _options_problem(values, at, depth + 1):
                return problem
        elif kind in VALUE_TYPES:
            if option.get("required"):
                if optional_seen:
                    return f"{at}.required: Required options must be placed before non-required options."
            else:
                optional_seen = True
            if problem := _value_option_problem(option, at):
                return problem
        else:
            return f"{at}.type: Value must be one of {sorted(VALUE_TYPES | {SUB_COMMAND, GROUP})}."
    return None


def command_problem(command: dict[str, Any], where: str = "0") -> str | None:
    """Why Discord would refuse this chat-input command, or None."""
    if command.get("type", 1) != 1:
        return None  # user/message commands: not used by mentorbot
    if problem := _name_problem(command.get("name"), where) or _description_problem(command.get("description"), where):
        return problem
    permissions = command.get("default_member_permissions")
    if permissions is not None and (
        isinstance(permissions, bool) or not isinstance(permissions, int) or not 0 <= permissions < 1 << 54
    ):
        return f"{where}.default_member_permissions: Must be a permission bitfield (integer) or null."
    if problem := _options_problem(command.get("options") or [], where, 0):
        return problem
    if _chars(command) > MAX_CHARS:
        return f"{where}: Command exceeds maximum size (4000)"
    return None


def bulk_problem(commands: Any) -> str | None:
    """Why Discord would refuse this bulk overwrite, or None."""
    if not isinstance(commands, list):
        return "Expected a list of commands."
    chat = [c for c in commands if c.get("type", 1) == 1]
    if len(chat) > MAX_COMMANDS:
        return "Maximum number of application commands reached (100)"
    names = [c.get("name") for c in chat]
    if len(set(names)) != len(names):
        return "Application command names must be unique"
    for i, command in enumerate(commands):
        if problem := command_problem(command, str(i)):
            return problem
    return None


def _option_value(definition: dict[str, Any], value: Any, where: str) -> Any:
    kind = definition["type"]
    if kind == USER:
        return str(value)
    if not isinstance(value, PYTHON_TYPES.get(kind, object)) or (kind != BOOLEAN and isinstance(value, bool)):
        raise CommandUnavailable(f"{where}: {value!r} is not a value of type {kind}")
    choices = [c["value"] for c in definition.get("choices") or []]
    if choices and value not in choices:
        raise CommandUnavailable(f"{where}: {value!r} is not one of the choices {choices}")
    if kind == STRING and not definition.get("min_length", 0) <= len(value) <= definition.get("max_length", 6000):
        raise CommandUnavailable(f"{where}: the text is longer or shorter than the option allows")
    if kind in (INTEGER, NUMBER):
        low, high = definition.get("min_value"), definition.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise CommandUnavailable(f"{where}: {value} is outside {low}..{high}")
    return value


def interaction_data(
    registered: dict[str, Any], path: list[str], values: dict[str, Any], *, focused: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The `data.options` tree for `/<command> <path…> name:value …`, and the user ids it names.

    `focused` marks the option being typed into (an autocomplete interaction).
    """
    level = registered.get("options") or []
    chain: list[dict[str, Any]] = []
    for word in path:
        found = next((o for o in level if o["name"] == word and o["type"] in (SUB_COMMAND, GROUP)), None)
        if found is None:
            raise CommandUnavailable(f"/{registered['name']} has no sub-command {' '.join(path)!r}")
        chain.append(found)
        level = found.get("options") or []
    if any(o["type"] in (SUB_COMMAND, GROUP) for o in level):
        raise CommandUnavailable(f"/{registered['name']} {' '.join(path)} is a group, not a command")
    definitions = {o["name"]: o for o in level}
    users: list[str] = []
    sent: list[dict[str, Any]] = []
    for name, value in values.items():
        definition = definitions.get(name)
        if definition is None:
            raise CommandUnavailable(f"/{registered['name']} {' '.join(path)} has no option {name!r}")
        option: dict[str, Any] = {"name": name, "type": definition["type"]}
        if name == focused:
            if not definition.get("autocomplete"):
                raise CommandUnavailable(f"option {name!r} has no autocomplete")
            option.update(value=value, focused=True)
        else:
            option["value"] = _option_value(definition, value, f"option {name!r}")
        if definition["type"] == USER:
            users.append(str(value))
        sent.append(option)
    if focused is None:
        missing = [n for n, d in definitions.items() if d.get("required") and n not in values]
        if missing:
            raise CommandUnavailable(f"required option(s) {missing} missing")
    options: list[dict[str, Any]] = sent
    for node in reversed(chain):
        options = [{"name": node["name"], "type": node["type"], "options": options}]
    return {"id": registered["id"], "name": registered["name"], "type": 1, "options": options}, users


def modal_problem(data: dict[str, Any]) -> str | None:
    """Why Discord would refuse a modal (interaction response type 9), or None."""
    if not 1 <= len(data.get("custom_id") or "") <= 100:
        return "data.custom_id: Must be between 1 and 100 in length."
    if not 1 <= len(data.get("title") or "") <= 45:
        return "data.title: Must be between 1 and 45 in length."
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        return "data.components: Must be between 1 and 5 in length."
    for row in rows:
        inputs = row.get("components") or ([row["component"]] if row.get("component") else [])
        label = row.get("label")
        for item in inputs:
            if item.get("type") != 4:
                continue
            text_label = item.get("label", label) or ""
            if not 1 <= len(text_label) <= 45:
                return "data.components.label: Must be between 1 and 45 in length."
            if len(item.get("placeholder") or "") > 100:
                return "data.components.placeholder: Must be 100 or fewer in length."
            if not 1 <= item.get("max_length", 4000) <= 4000 or not 1 <= len(item.get("custom_id") or "") <= 100:
                return "data.components: max_length or custom_id out of range."
    return None
