"""Tools bound to a `RouterChatModel`: kept as the caller gave them, bound to the chosen candidate at call time.

`RouterChatModel.bind_tools` returns a binding with two keyword arguments:

- ``tools``: the tools in OpenAI format, for the frameworks that read a binding (LangGraph's ``create_react_agent``
  checks ``binding.kwargs["tools"]`` against its own tools); never sent to a candidate as such;
- ``langroute_tools``: a `ToolBinding` holding the caller's original tool objects (``BaseTool`` with its
  ``extras``, Pydantic models, functions, provider dicts) and ``bind_tools`` options (``strict``, ``tool_choice``,
  ``parallel_tool_calls``, ``response_format``...), which the chosen candidate's own ``bind_tools`` receives.

```python
bound = router.bind_tools([get_weather], strict=True)
bound.kwargs["tools"][0]["function"]["name"]     # 'get_weather' (what LangGraph reads)
bound.invoke("Weather in Paris?")                 # candidate.bind_tools([get_weather], strict=True).invoke(...)
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool

from langroute.langchain._answers import tool_schemas

__all__ = ["TOOLS_KWARG", "ToolBinding", "openai_view"]

TOOLS_KWARG: Final = "langroute_tools"
"""Name of the bound keyword argument that carries a `ToolBinding` from `bind_tools` to the call."""


class ToolBinding:
    """The caller's tools and `bind_tools` options, bound to each candidate once, when it is first chosen.

    Args:
        tools: the tool objects exactly as given to `RouterChatModel.bind_tools`.
        options: the other `bind_tools` arguments (``tool_choice``, ``strict``...), passed on unchanged.
        view: the OpenAI-format list stored as the binding's ``tools`` kwarg; a call whose ``tools`` is another
            list (a caller re-bound ``tools=``) gets that list instead of `tools`.
    """

    __slots__ = ("_bound", "_schemas", "options", "tools", "view")

    def __init__(self, tools: Sequence[Any], options: Mapping[str, Any], view: list[Any]) -> None:
        self.tools: tuple[Any, ...] = tuple(tools)
        self.options: dict[str, Any] = dict(options)
        self.view = view
        self._bound: dict[int, tuple[BaseChatModel, Runnable[LanguageModelInput, BaseMessage]]] = {}
        self._schemas: dict[str, Mapping[str, Any] | None] | None = None

    @property
    def structured_output(self) -> bool:
        """Whether the binding asks for structured output (``response_format=``, as `create_agent` binds it)."""
        return "response_format" in self.options

    def schemas(self) -> dict[str, Mapping[str, Any] | None]:
        """The tools as name -> JSON schema of the arguments, for the answer checks (computed once)."""
        if self._schemas is None:
            self._schemas = tool_schemas(self.view or self.tools)
        return self._schemas

    def bind(self, model: BaseChatModel) -> Runnable[LanguageModelInput, BaseMessage]:
        """``model.bind_tools(tools, **options)``, built once per candidate (the candidate converts the tools)."""
        cached = self._bound.get(id(model))
        if cached is not None and cached[0] is model:
            return cached[1]
        bound = model.bind_tools(self.tools, **self.options)
        self._bound[id(model)] = (model, bound)  # a race binds twice, harmlessly
        return bound

    def __repr__(self) -> str:
        names = [_name(tool) for tool in self.tools]
        return f"ToolBinding(tools={names}, options={sorted(self.options)})"


def openai_view(tool: Any) -> Any:
    """`tool` in OpenAI format, for readers of the binding; a dict that cannot be converted is kept as is."""
    try:
        return convert_to_openai_tool(tool)
    except (ValueError, TypeError, KeyError):
        if isinstance(tool, dict):  # a provider's own tool dict: the candidate knows it, LangGraph reads "name"
            return tool
        raise


def _name(tool: Any) -> str:
    if isinstance(tool, dict):
        return str(tool.get("name") or tool.get("function", {}).get("name") or tool.get("type"))
    return str(getattr(tool, "name", None) or getattr(tool, "__name__", type(tool).__name__))
