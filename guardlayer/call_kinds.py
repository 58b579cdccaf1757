"""The kinds of messages, items and content parts read in a call (OpenAI chat and Responses,
Anthropic, Gemini, LangChain), and the fields that hold their texts."""
from __future__ import annotations

from .call_slot import HISTORY

TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
"""Content parts that hold text (OpenAI chat, Anthropic, OpenAI Responses: ``output_text`` in an
assistant turn given back); a ``refusal`` part holds it in ``refusal``; a ``tool_result`` part
(Anthropic) holds a tool's output, as a string or text parts."""
TOOL_OUTPUT_ITEMS = frozenset({"function_call_output", "custom_tool_call_output", "local_shell_call_output",
                               "apply_patch_call_output", "computer_call_output", "mcp_call"})
"""OpenAI Responses input items that hold a tool's output in ``output`` (text, or parts), with no role."""
CALL_ITEMS = frozenset({"function_call", "mcp_call", "mcp_approval_request"})
"""Responses items of a call the model made, its ``arguments`` JSON text: read as the tool
calls of the assistant's turns are."""
ITEM_FIELDS: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "custom_tool_call": ((("input",), HISTORY),),
    "mcp_call": ((("error",), "tool"),),
    "mcp_list_tools": ((("tools", "*", "description"), "tool"), (("error",), "tool")),
    "mcp_approval_response": ((("reason",), "user"),),
    "file_search_call": ((("queries", "*"), HISTORY), (("results", "*", "text"), "document")),
    "web_search_call": ((("action", "**"), HISTORY),),
    "computer_call": ((("action", "**"), HISTORY), (("pending_safety_checks", "*", "message"), HISTORY)),
    "computer_call_output": ((("acknowledged_safety_checks", "*", "message"), HISTORY),),
    "local_shell_call": ((("action", "**"), HISTORY),),
    "shell_call": ((("action", "**"), HISTORY),),
    "shell_call_output": ((("output", "*", "stdout"), "tool"), (("output", "*", "stderr"), "tool")),
    "apply_patch_call": ((("operation", "**"), HISTORY),),
    "code_interpreter_call": ((("code",), HISTORY), (("outputs", "*", "logs"), "tool")),
    "reasoning": ((("summary", "*", "text"), HISTORY), (("content", "*", "text"), HISTORY)),
}
"""Other texts of Responses items, as paths (``*``: each item of a list, ``**``: every string
below) with their source: what the model wrote (its calls, patches, reasoning) or read (logs,
a shell's output, files, an MCP server's tool descriptions); ids, a shell call's ``environment`` and
``encrypted_content`` are left alone."""
KNOWN_ITEMS = TOOL_OUTPUT_ITEMS | CALL_ITEMS | ITEM_FIELDS.keys() | {
    "message", "content", "image_generation_call", "item_reference", "compaction"}
"""Kinds of items read here (``content``: a prediction; ``image_generation_call``: an image;
``compaction``: the provider's opaque ``encrypted_content``; ``item_reference``: a turn kept
upstream, refused unless the call may build on those: `call_read`); an item of another kind that
holds text is refused. An item of one of these kinds other than ``message`` and ``content`` is
read as its kind whatever ``role`` it is given (a role does not make a tool's output a turn)."""
TURN_KINDS = frozenset({"message", "content"})
"""Kinds of `KNOWN_ITEMS` read as a turn, by their role (``content``: a prediction)."""
LANGCHAIN_META = frozenset({"response_metadata", "additional_kwargs", "usage_metadata", "artifact", "example",
                            "invalid_tool_calls", "tool_call_chunks"})
"""Fields of a LangChain message that it keeps for the program, not the model: no text for the model."""
PLAIN_FIELDS = frozenset({"role", "type", "id", "call_id", "tool_call_id", "name", "status", "content",
                          "parts", "tool_calls", "function_call", "refusal", "cache_control", "audio"}) | LANGCHAIN_META
"""Fields of a message that are read (or hold no text for the model); a message of an untrusted
source (user, tool, a document) that yields no text but holds text elsewhere is refused; the
application's own turns (assistant, system) never are (``reasoning_content``, metadata)."""
DOCUMENT_READ = frozenset({"content", "parts", "text", "page_content", "refusal"})
"""Fields of a document (an item with neither role nor kind) read as its text; every other
string it holds (a ``title``, a ``url``, a ``snippet``, LangChain's ``metadata`` values) is read
too, as a text of its own: what the application puts in the prompt of a document is not known."""
STORED_PROMPT = frozenset({"id", "version", "variables"})
"""The fields of a Responses stored prompt (``prompt={"id": "pmpt_...", "variables": {...}}``):
its ``variables`` are read as the user's text (strings, ``input_text`` items), the rest names it."""
MEDIA_PARTS = frozenset({"image", "image_url", "input_image", "input_audio", "audio", "file", "input_file",
                         "video_url", "document_url", "container_upload", "thinking", "redacted_thinking", "tool_use",
                         "server_tool_use", "mcp_tool_use", "tool_reference", "computer_screenshot"})
"""Content parts read as no text: media, files (their names are read: `PART_FIELDS`; inline text
files are decoded: `call_files`), the model's thinking (signed, given back as is) and its calls
(``tool_use``: read as its tool calls; server and MCP calls: the provider's); a
``computer_screenshot`` is a computer call's output."""
TOOL_RESULT_PARTS = frozenset({"tool_result", "mcp_tool_result"})
"""Anthropic parts that hold a tool's output in ``content`` (text, or parts)."""
PART_FIELDS: dict[str, tuple[tuple[tuple[str, ...], str | None], ...]] = {
    "file": ((("text",), "document"), (("file", "filename"), None)),  # (LangChain's plain-text file
    "input_file": ((("filename",), None),),                            # block; OpenAI chat's file)
    "text-plain": tuple(((key,), "document") for key in ("text", "title", "context")),  # (LangChain 1.x's)
    "output_text": tuple((("annotations", "*", key), None) for key in ("title", "url", "filename")),
    "web_search_tool_result": ((("content", "*", "title"), "document"),),
    "code_execution_tool_result": ((("content", "**"), "tool"),),
    "bash_code_execution_tool_result": ((("content", "**"), "tool"),),
    "text_editor_code_execution_tool_result": ((("content", "**"), "tool"),),
    "tool_search_tool_result": ((("content", "**"), "tool"),),
}
"""Texts of other parts, as in `ITEM_FIELDS`: in Anthropic's, third-party text wherever it sits (a
page found by the provider's web search is a document even inside an assistant turn; a
``web_fetch_tool_result`` holds a fetched document: `call_parts`); the citations of a Responses
``output_text`` (a URL's title and address, a file's name; None: of the message's source, the
model's own answer given back); a file's name, which the model reads with the file, as text of its
turn."""
KNOWN_PARTS = TEXT_PARTS | MEDIA_PARTS | TOOL_RESULT_PARTS | PART_FIELDS.keys() | {
    "refusal", "search_result", "document", "web_fetch_tool_result"}
"""Kinds of content parts read here; a part of another kind that holds text is refused."""
MAX_NESTING = 100
"""Levels of nesting read in a tool call's arguments (and any structure read string by
string); deeper ones are refused (read recursively, they would overflow the stack)."""
GEMINI_PLAIN = frozenset({"inline_data", "file_data", "thought", "thought_signature", "video_metadata",
                          "inlineData", "fileData", "thoughtSignature", "videoMetadata"})
"""Fields of a Gemini part that hold no text (files, images, flags); a part with ``text`` is read,
so are the fields of `GEMINI_FIELDS`; any other part that holds text is refused."""
GEMINI_FIELDS = {"function_call": ("args", HISTORY), "functionCall": ("args", HISTORY),
                 "executable_code": ("code", HISTORY), "executableCode": ("code", HISTORY),
                 "function_response": ("response", "tool"), "functionResponse": ("response", "tool"),
                 "code_execution_result": ("output", "tool"), "codeExecutionResult": ("output", "tool")}
"""Gemini parts of a call the model made (its arguments, its code: the model's own) or of what
came back (a function's response, the code's output: a tool's), and the field holding the text."""
GEMINI_KEYS = GEMINI_PLAIN | frozenset(GEMINI_FIELDS)
"""The fields of a Gemini part other than ``text``."""
INSTRUCTION_FIELDS = ("system_instruction", "systemInstruction")
"""The fields of Gemini's ``config`` (a ``GenerateContentConfig``, or a mapping in either
spelling) that hold the application's system prompt; the others hold none (``cached_content`` is
a name, the rest settings, schemas and tool definitions)."""
ID_FIELDS = frozenset({"type", "id", "call_id", "status"})
"""Fields of a Responses item that name it, its kind or its state: no text for the guards."""
NAME_FIELD = ("name",)
"""A chat message's ``name``: an identifier (``^[a-zA-Z0-9_-]+$``) that may name a person, read
as the application's own text with its ``_`` as spaces (``John_Smith`` is a person's name to
PII); what a guard makes of it is made a valid name again (`call_write`), of `NAME_LIMIT`
characters at most."""
NAME_LIMIT = 64
"""The longest ``name`` OpenAI takes (placeholders put for short names may make it longer)."""
SIDE_FIELDS = ("title", "context")
"""Fields of an Anthropic ``document`` or ``search_result`` part that the model reads besides its
text (a page's title comes from the page): checked as their own texts, of source document."""
