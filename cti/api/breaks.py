"""Break routes (issue 16, P5): an agent asks to be not ready longer than a reason's limit;
a supervisor approves or refuses (cti/domain/breaks.py has the rules).

Rules:
1. An agent asks for itself; a supervisor or admin may ask for any agent.
2. Supervisors and admins approve or refuse, and list the requests standing.
3. What the core refuses is a 404 (agent not logged in), 409 (nothing pending, already
   decided, an approval standing) or 422 (the reason, or a time within its own limit).
"""

from __future__ import annotations

from aiohttp import web

from cti.api import answers
from cti.api.agents import agent_id
from cti.api.auth import identify, require_agent
from cti.api.context import context_of
from cti.api.identity import SUPERVISING
from cti.api.route import route
from cti.api.shapes import BreakAsk, Empty
from cti.domain.commands import DecideBreak, RequestBreak
from cti.domain.effects import BreakChanged
from cti.domain.ids import AgentId
from cti.domain.state import AcdState
from cti.schema.plain import plain_object

routes = web.RouteTableDef()


def _answer(state: AcdState, agent: AgentId, status: int = 200) -> web.Response:
    request = state.breaks.get(agent)
    return web.json_response({"request": plain_object(request)}, status=status)


@route(
    routes,
    "POST",
    "/api/v1/agents/{agent_id}/break-request",
    body=BreakAsk,
    summary="Ask to be not ready for a reason longer than its own limit (P5): a supervisor"
    " approves or refuses",
    answer=answers.BreakAnswer,
    status=201,
    errors=(404, 409, 422),
    tag="agents",
)
async def ask(request: web.Request, body: BreakAsk) -> web.Response:
    ctx, agent = context_of(request), agent_id(request)
    identity = await identify(ctx, request)
    require_agent(identity, agent)
    command = RequestBreak(
        at=ctx.now(), agent=agent, reason=body.reason, seconds=body.seconds, by=identity.by
    )
    return _answer((await ctx.execute(command)).state, agent, status=201)


def _decision_route(action: str, approve: bool) -> None:
    @route(
        routes,
        "POST",
        f"/api/v1/agents/{{agent_id}}/break-request/{action}",
        body=Empty,
        body_required=False,
        summary=f"{action.capitalize()} the agent's pending request for a longer break",
        answer=answers.BreakAnswer,
        roles=SUPERVISING,
        errors=(409,),
        tag="agents",
    )
    async def decide(request: web.Request, _body: Empty) -> web.Response:
        ctx, agent = context_of(request), agent_id(request)
        identity = await identify(ctx, request)
        command = DecideBreak(at=ctx.now(), agent=agent, approve=approve, by=identity.by)
        decision = await ctx.execute(command)
        [decided] = [e.request for e in decision.effects if isinstance(e, BreakChanged)][:1]
        return web.json_response({"request": plain_object(decided)})


_decision_route("approve", True)
_decision_route("refuse", False)


@route(
    routes,
    "GET",
    "/api/v1/breaks",
    summary="Requests for a longer break standing now: pending or approved (P5)",
    answer=answers.Breaks,
    roles=SUPERVISING,
    tag="agents",
)
async def list_breaks(request: web.Request) -> web.Response:
    state = context_of(request).engine.state
    listed = [plain_object(b) for _, b in sorted(state.breaks.items())]
    return web.json_response({"breaks": listed})
