"""The chat bot: maintenance and mutes from KakaoTalk and KakaoWork, without a laptop or VPN.

Two endpoints, one blueprint (``bot_blueprint(config, history=..., reply=...)``):

* ``POST /kakao/skill``: Kakao i OpenBuilder skill requests, typed commands in Korean or English
  (``점검 alpha 2h 디스크 교체``, ``점검해제 alpha``, ``mute "Too many tablets" alpha cri 1d``,
  ``unmute "Too many tablets" alpha``, ``상태 alpha``, ``도움말``), answered in ``simpleText``.
* ``POST /kakaowork/callback``: KakaoWork reactive callbacks from the alert messages' buttons
  (mute 1h, critical only 1h, maintenance 2h) and the custom-duration modal.

Each endpoint needs its shared secret (``receiver.bot.callback_token_env``, ``skill_token_env``):
without one it refuses every request with 403 (``secret_problems`` says which). Every change
goes through ``silences.SilenceService`` (the CLI's and the console's code path), by
allow-listed users only (``receiver.bot.allow``), and is recorded as a history ``action`` event.
The parser (``parse_command``) and the callback reader (``read_callback``) are pure.
"""

from ._allow import Actor, AllowList
from ._blueprint import TOKEN_HEADER, TOKEN_PARAMETER, Record, Reply, bot_blueprint
from ._bot import Bot, Recorder
from ._callback import Callback, InvalidCallback, button_command, read_callback, submission_command
from ._commands import Command, EndMaintenance, Help, Mute, ParseError, StartMaintenance, Status, Unmute
from ._durations import parse_chat_duration
from ._modal import modal_view
from ._parser import parse_command
from ._reply import ChannelReply
from ._settings import BotSettings, bot_settings, secret_problems
from ._skill import InvalidSkillRequest, read_skill_request, skill_answer

__all__ = [
    "TOKEN_HEADER",
    "TOKEN_PARAMETER",
    "Actor",
    "AllowList",
    "Bot",
    "BotSettings",
    "Callback",
    "ChannelReply",
    "Command",
    "EndMaintenance",
    "Help",
    "InvalidCallback",
    "InvalidSkillRequest",
    "Mute",
    "ParseError",
    "Record",
    "Recorder",
    "Reply",
    "StartMaintenance",
    "Status",
    "Unmute",
    "bot_blueprint",
    "bot_settings",
    "button_command",
    "modal_view",
    "parse_chat_duration",
    "parse_command",
    "read_callback",
    "read_skill_request",
    "secret_problems",
    "skill_answer",
    "submission_command",
]
