"""What moderators can do about a delivery that failed for good, by failure code (deliverer.py)."""

ADVICE = {
    "channel_not_found": (
        "The channel no longer exists or the bot cannot see it; invite the bot or choose another channel."
    ),
    "not_in_channel": "Invite the bot to that channel (/invite) and try again.",
    "is_archived": "That channel is archived; unarchive it or use another channel.",
    "cannot_dm_bot": "That user is a bot and cannot receive direct messages.",
    "token_revoked": "The bot's token was revoked; reinstall the app.",
    "missing_access": "The bot lacks permission in that channel; check its role.",
    "missing_manage_events": (
        "The event is posted, but Discord refused to add it to the server's Events: the bot lacks the "
        "Manage Events permission. Re-invite it with `mentorbot discord-invite` (the link now asks for it) "
        "or give its role Manage Events in Server Settings → Roles."
    ),
    "space_scope_missing": (
        "A mentoring circle meets in a private Slack channel the bot creates, which needs the groups:write "
        "permission added in this version. Reinstall the app from the updated manifest (existing installs "
        "must reinstall). This message is not resent; after the reinstall the circle's next messages reach its channel."
    ),
    "space_thread_forbidden": (
        "A mentoring circle meets in a private thread: the bot needs Create Private Threads and Send Messages "
        "in Threads in that channel. Re-invite it with `mentorbot discord-invite` or give its role those permissions."
    ),
    "message_not_found": "The message was deleted on the platform, so it could not be changed or pinned.",
}
