"""Regenerate the demo recordings (demo/audio/*.opus) and their catalogue (demo/calls.json).

    .venv/bin/python tools/make_demo_audio.py

Twenty-four scripted IT service-desk calls, three per demo agent, each agent with a
consistent listening style so the demo trends make sense:

    North: ana (capable, but explains at length), ben (interrupts, jumps to conclusions),
           chloe (excellent listener), dev (distracted, asks people to repeat themselves)
    South: eli (patient, unhurried), fatima (paraphrases, open-minded),
           george (defensive, blames others), hana (long unexplained silences)

Deterministic: fixed seeds, espeak-ng and bit-exact libopus (16 kbit/s, each channel its
own mono stream). Agent on the left channel (0), customer on the right (1).

Script lines (one per line; an indented line continues the one above; blank lines and
lines starting with # are ignored):

    A: text            agent speaks after the previous speech ends + the agent's usual pause
    C: text            customer, likewise
    A~4.5: text        agent starts 4.5 s after all speech so far has ended (dead air)
    a@2.5: text        agent starts 2.5 s into the latest A:/C: line (a backchannel)
    A!3.0/1.5: text    agent barges in 3.0 s into the latest line, which stops 1.5 s later
                       (upper case: a full turn; lower case c@/a@: overlapping, no cut)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

from callsynth import AGENT, CUSTOMER, Line, Voice, render, speak, write_opus  # noqa: E402

from scoring.listening import report_from_speech  # noqa: E402

OUT_DIR = ROOT / "demo" / "audio"
CATALOGUE = ROOT / "demo" / "calls.json"
KBPS = 16
MAX_TOTAL_BYTES = 15 * 1024 * 1024

ITEMS = (
    "stop_talking",
    "open_mind",
    "active_listening",
    "natural_pauses",
    "eye_contact",
    "understand_remember",
    "paraphrase",
    "not_defensive",
    "be_patient",
    "lose_distractions",
)

AGENT_VOICES = {
    "ana": Voice("en-gb+f2", speed=168, pitch=55),
    "ben": Voice("en-us+m3", speed=188, pitch=40),
    "chloe": Voice("en-gb-x-rp+f4", speed=158, pitch=62),
    "dev": Voice("en-gb+m2", speed=172, pitch=48),
    "eli": Voice("en-gb-scotland+m1", speed=158, pitch=38),
    "fatima": Voice("en-us+f2", speed=162, pitch=56),
    "george": Voice("en-gb-x-gbcwmd+m4", speed=172, pitch=32),
    "hana": Voice("en-us+f5", speed=160, pitch=66),
}
CUSTOMER_VOICES = [
    Voice("en-us+f3", speed=172, pitch=60, gain_db=-2),
    Voice("en-us+m1", speed=165, pitch=42, gain_db=-3),
    Voice("en-gb+f1", speed=170, pitch=58, gain_db=-1),
    Voice("en-029+m2", speed=160, pitch=45, gain_db=-4),
    Voice("en-us-nyc+m5", speed=178, pitch=40, gain_db=-2),
    Voice("en-gb-scotland+f3", speed=165, pitch=62, gain_db=-3),
    Voice("en-gb-x-gbclan+m6", speed=168, pitch=46, gain_db=-2),
    Voice("en-us+f4", speed=175, pitch=64, gain_db=0),
    Voice("en-gb-x-rp+m7", speed=162, pitch=50, gain_db=-3),
]
# Usual pause before the agent answers, per agent (s); customers answer after ~0.6 s.
AGENT_PAUSE = {
    "ana": 0.6,
    "ben": 0.25,
    "chloe": 0.85,
    "dev": 0.9,
    "eli": 0.95,
    "fatima": 0.75,
    "george": 0.4,
    "hana": 1.2,
}
CUSTOMER_PAUSE = 0.6
# Each agent's usual quality (1-5) per item; calls adjust it with "q" overrides.
PROFILE = {
    "ana": dict(
        stop_talking=3,
        open_mind=4,
        active_listening=3,
        natural_pauses=4,
        understand_remember=4,
        paraphrase=3,
        not_defensive=4,
        be_patient=4,
        lose_distractions=4,
    ),
    "ben": dict(
        stop_talking=2,
        open_mind=1,
        active_listening=2,
        natural_pauses=2,
        understand_remember=2,
        paraphrase=2,
        not_defensive=3,
        be_patient=1,
        lose_distractions=3,
    ),
    "chloe": dict(
        stop_talking=5,
        open_mind=5,
        active_listening=5,
        natural_pauses=5,
        understand_remember=5,
        paraphrase=5,
        not_defensive=5,
        be_patient=5,
        lose_distractions=5,
    ),
    "dev": dict(
        stop_talking=4,
        open_mind=3,
        active_listening=2,
        natural_pauses=3,
        understand_remember=2,
        paraphrase=2,
        not_defensive=4,
        be_patient=3,
        lose_distractions=1,
    ),
    "eli": dict(
        stop_talking=4,
        open_mind=4,
        active_listening=3,
        natural_pauses=5,
        understand_remember=4,
        paraphrase=3,
        not_defensive=4,
        be_patient=5,
        lose_distractions=4,
    ),
    "fatima": dict(
        stop_talking=4,
        open_mind=5,
        active_listening=4,
        natural_pauses=4,
        understand_remember=5,
        paraphrase=5,
        not_defensive=5,
        be_patient=4,
        lose_distractions=5,
    ),
    "george": dict(
        stop_talking=3,
        open_mind=2,
        active_listening=2,
        natural_pauses=3,
        understand_remember=3,
        paraphrase=2,
        not_defensive=1,
        be_patient=2,
        lose_distractions=4,
    ),
    "hana": dict(
        stop_talking=4,
        open_mind=3,
        active_listening=3,
        natural_pauses=1,
        understand_remember=3,
        paraphrase=3,
        not_defensive=4,
        be_patient=4,
        lose_distractions=2,
    ),
}

# ---------------------------------------------------------------------------------------
# The calls. Every line of dialogue below is original to this project.
# ---------------------------------------------------------------------------------------

CALLS: list[dict] = [
    # ------------------------------------------------------------------ ana (North)
    dict(
        key="ana-01-password-expired",
        agent="ana",
        title="Password expired after annual leave",
        notes="Friendly and accurate; explains the password rules at length, so the "
        "customer mostly listens.",
        q=dict(stop_talking=3),
        script="""
A: Good morning, service desk, Ana speaking. How can I help?
C: Hi Ana. I've just come back from three weeks of leave, and my password isn't working anymore.
    It just says the password is incorrect or has expired.
A: Welcome back. That's very common after a long break. Passwords here expire every ninety days,
    so it most likely ran out while you were away. Can I take your username, please?
C: Sure, it's m dot okafor.
A: Thank you. And to confirm it's you, could you tell me the last four digits of your employee
    number?
C: Four, seven, one, nine.
A: Perfect, that matches. So, I can see the password expired twelve days ago, and after that
    there were five failed attempts, which locked the account as well. I'll unlock it and set a
    temporary password. When you sign in with it, you'll be asked to choose a new one straight
    away. The new password needs at least fourteen characters, it can't be one of your last ten,
    and it can't contain your name. A short phrase of three or four words works really well and
    is easier to remember than a jumble of symbols.
C: Okay.
A: I'll read the temporary password to you now. Are you ready to write it down?
C: Yes, go ahead.
A: It's river, seven, lantern, nine, with capital R and capital L.
C: River seven lantern nine. Got it.
A: Lovely. Try it now on your laptop, and stay on the line until you've set the new one.
C: Right, it's asking me for a new password. Okay, done. And I'm in. My email is loading.
A: Brilliant. One more thing: your phone will still have the old password for email, so it may
    ask you to sign in again. Just use the new one there too.
C: Good to know. Thanks so much, Ana.
A: You're welcome. Enjoy your first day back.
""",
    ),
    dict(
        key="ana-02-new-starter-access",
        agent="ana",
        title="Access for a new starter on Monday",
        notes="Gathers the details, paraphrases the request once, then a long walk-through "
        "of the approval process.",
        q=dict(paraphrase=4),
        script="""
A: Service desk, Ana speaking.
C: Hello, it's Priti from the payroll team. We have a new starter on Monday, and nothing seems
    to be set up for her yet. No account, no laptop, nothing. I filled in the form two weeks
    ago.
a@5.0: mm-hmm
A: Oh dear, that's worrying with Monday so close. Let me find the form. What's the new starter's
    name?
C: Grace Mensah. She's joining as a payroll assistant.
A: Thanks. I've found it. The form was submitted, but it's waiting for approval from the payroll
    manager, and that's why nothing has moved.
C: Oh. I thought I was the approver.
A: So, let me make sure I have this right: Grace starts on Monday, she needs an account, a
    laptop and access to the payroll system, and the request is stuck because it went to the
    wrong approver. Is that right?
C: Yes, exactly.
A: Okay. Here's what happens next. I'll change the approver to you, since you're her line
    manager on the form. As soon as you approve it, the account is created automatically,
    usually within an hour. The laptop is a separate step: the build team images it overnight
    and sends it to your site on Friday. Access to the payroll system needs one more approval
    from the system owner, because it holds salary data, and that can take a day or two. I'll
    mark it as urgent and add a note that she starts on Monday.
C: That's great. Can she start without the payroll system for a day?
A: Yes. She'll have email, Teams and the shared drives from day one.
C: Perfect. I'll approve it now.
A: Wonderful. I'll keep an eye on it and call you tomorrow if anything is still waiting.
""",
    ),
    dict(
        key="ana-03-calendar-sync",
        agent="ana",
        title="Calendar not syncing to phone",
        notes="Solves it, but with a long technical monologue the customer can't follow.",
        q=dict(stop_talking=2, active_listening=3),
        script="""
A: Service desk, this is Ana.
C: Hi. My calendar isn't showing on my phone. Meetings I accept on the laptop don't appear on
    the phone, and I've missed one already this week.
A: I'm sorry to hear that. Which phone do you have, and which app do you use for email?
C: It's an iPhone, and I use the Outlook app.
A: Okay. So, the way it works is that the Outlook app on your phone doesn't talk to your laptop
    at all. Both of them talk to the mail server separately, and each keeps its own copy of the
    calendar. When the phone stops updating, it's usually because the app's connection to the
    server has expired, which happens after a password change, or because the phone's background
    refresh for Outlook has been switched off to save battery. There's also a known problem
    after the latest iPhone update, where the app needs to be reset once before it syncs
    properly again. In almost every case, the fix is to remove the account from the app and add
    it back. That doesn't delete anything, because everything lives on the server, not on the
    phone.
c@14.0: right
c@27.0: okay
C: Okay, I think so. So I remove my account?
A: Yes. Open Outlook, tap your picture at the top, then the settings wheel, then your account,
    and scroll to the bottom where it says delete account.
C: Okay, I've done that.
A: Now add it again with your work email address and your normal password. It will ask you to
    approve the sign-in on the Authenticator app.
C: Right, it's asking me to approve. Done. Oh, the meetings are appearing now.
A: Great. Please also check that background refresh is on for Outlook in your phone settings, or
    it may stop again.
C: I'll do that. Thanks. Oh, one more thing. My manager's calendar, which I manage for her,
    doesn't show on the phone at all.
A: Right, that's a different thing again. Shared calendars work a little differently from your
    own. On the laptop, Outlook opens your manager's calendar directly on the server, using the
    permission she gave you. The phone app only shows shared calendars that you have added
    inside the app itself, and it doesn't copy them over from the laptop, even though it's the
    same account. So you'll need to add it once on the phone. Also, if she gave you permission a
    long time ago, using the old delegate settings, the phone app sometimes can't see it at all,
    and she would need to share it again from her own Outlook, using the share button, and
    choose can edit.
C: Okay. So first I try adding it on the phone?
A: Yes. In the calendar view, tap the icon at the top left, then the plus, then add shared
    calendars, and search for her name.
C: It found her. Added. Yes, I can see her meetings now.
A: Perfect. Then you're all set.
C: Thanks, Ana.
""",
    ),
    # ------------------------------------------------------------------ ben (North)
    dict(
        key="ben-01-vpn-wrong-fix",
        agent="ben",
        title="VPN fails: agent assumes a password problem",
        notes="Interrupts twice and jumps to a password reset; the real cause (hotel Wi-Fi "
        "blocking the VPN) only comes out when the customer insists.",
        q=dict(stop_talking=1, open_mind=1),
        script="""
A: Service desk, Ben.
C: Hi, I'm working from a hotel this week, and the VPN won't connect. It tries for about a
    minute and then it says the connection timed out, and I really need to get to the finance
    share today.
A!4.2/1.6: Right, that's your password. It'll have expired. I'll reset it for you.
C: No, I don't think it's the password. I logged into my laptop with it five minutes ago.
A: The laptop caches it, so it still works offline. The VPN checks the real one. Give me your
    username.
C: It's j dot ferreira. But honestly, it says timed out, not wrong password.
A: Okay, I've reset it. The temporary one is summer, four, four, two. Try that on the VPN.
C: Just a moment. No, the same thing. Connection timed out.
A: Then it's your laptop. Restart it and try again, that fixes most of these.
C: Before I restart, can I just tell you something? The hotel Wi-Fi has a page where you click
    to accept the terms, and my colleague said the VPN doesn't work on some hotel networks at
    all.
A!3.5/1.4: Yeah, no, that wouldn't matter.
C: She said she had to use her phone as a hotspot.
A: Hmm. Actually, some hotels do block the VPN ports. Okay, try your phone's hotspot then.
C: Connecting to the hotspot now. And the VPN is connected.
A: There you go. So it was the hotel network.
C: Right. And now I have a new password I didn't need.
A: Yeah, sorry about that. You'll need to use the new one from now on.
""",
    ),
    dict(
        key="ben-02-printer-restart",
        agent="ben",
        title="Printer jobs disappear: 'just restart it'",
        notes="Talks over the customer three times; the customer repeats the same detail "
        "(jobs vanish only from one app) three times before it is heard.",
        q=dict(stop_talking=1, be_patient=1, active_listening=1),
        script="""
A: Service desk, this is Ben, what's up?
C: Hello, I've got a problem with printing. When I print from the warehouse system, the job goes
    to the printer queue and then just disappears, but when I print from Word it works fine.
A!3.6/1.8: Okay, have you restarted the printer?
C: Yes, but it's not the printer, because Word prints fine.
A: Restart it again anyway, the queue gets stuck on those models all the time.
C: I've really restarted it twice already this morning. The thing is, only the warehouse system.
A!2.8/1.5: Right, and have you restarted your computer as well?
C: Yes. Look, only the labels from the warehouse system disappear. Everything else prints.
A: Labels? Oh, you're printing labels. That's a different driver. The warehouse system sends
    labels to the label printer, not the normal printer. Which printer did it pick?
C: The normal one, on the second floor. It always used to go to the label printer downstairs.
A!3.2/1.4: Yeah, so that's your problem, the default changed.
C: So how do I change it back?
A: In the warehouse system, go to settings, printers, and choose the one called label printer
    one.
C: Okay, done. Let me print one. And it's coming out downstairs.
A: Great, sorted.
C: Thanks. I did say it was only that system. Also, one of my colleagues has the same problem,
    but on a different computer in the warehouse, the one by the loading bay.
A!3.8/1.5: Same fix, tell them to change the default printer.
C: They don't have the settings menu. It's one of the shared computers, they log in with a
    shared account.
A: Oh. Shared computers are locked down. Okay, then I need to change it from here. What's the
    computer's name?
C: It says W H, loading bay, two, on a sticker.
A: Okay, done. Tell them to log out and back in.
C: I will. Thanks.
A: Yep. Anything else?
C: No, that's all.
""",
    ),
    dict(
        key="ben-03-slow-laptop",
        agent="ben",
        title="Slow laptop: fewer interruptions, a quick summary at the end",
        notes="Ben's better call: one interruption early on, then he lets the customer "
        "finish and summarises the fix.",
        q=dict(stop_talking=3, open_mind=3, be_patient=3, paraphrase=3, active_listening=3),
        script="""
A: Service desk, Ben speaking.
C: Hi Ben. My laptop has been really slow since yesterday. It takes about ten minutes to start,
    and when I open Excel the whole thing freezes, and the fan is going all the time.
A!4.5/1.6: Sounds like it needs more memory.
C: Maybe, but it was fine on Monday.
A: Okay, fair enough. What changed since Monday?
C: Well, there was an update on Tuesday night. It restarted by itself. And since then, there's a
    little box in the corner that says syncing, and it never finishes.
A: Syncing, okay. Is that OneDrive?
C: I think so. It's the blue cloud.
A: Yeah. How many files have you got in OneDrive?
C: I don't really know. Our team moved the whole project folder into it last week. It's probably
    thousands of files, some are big videos.
a@4.0: okay
A: Right, so if I've got it: since the update, OneDrive started syncing your team's whole
    project folder, including big videos, and that's eating the laptop. Is that it?
C: That sounds about right.
A: Okay. Let's pause the sync and tell it to keep the videos online only. Click the blue cloud,
    then the gear, and pause syncing for twenty four hours.
C: Done. Oh, the fan has already slowed down.
A: Good. Now right click the videos folder and choose free up space. They stay in the cloud, you
    just don't download them.
C: Okay, that's done. Excel opened straight away.
A: Great. Call us back if it slows down again.
""",
    ),
    # ------------------------------------------------------------------ chloe (North)
    dict(
        key="chloe-01-locked-out-lost-phone",
        agent="chloe",
        title="Locked out with the MFA phone lost",
        notes="Lets the stressed customer tell the whole story with encouraging "
        "backchannels, paraphrases, then verifies identity another way.",
        q={},
        script="""
A: Hello, you're through to the service desk, this is Chloe. How can I help?
C: Hi. I'm sorry, this is a bit of a mess. I lost my phone on the train last night, and I can't
    sign in to anything this morning, because every time I log in it wants me to approve it on
    the app, and the app is on the phone, which is somewhere in a lost property office, I hope.
a@3.5: oh no
a@9.0: mm-hmm
a@13.5: right
A: That does sound stressful, and you're not the first person this has happened to, so we can
    sort it out. Just so I have it right: you lost your phone last night, the Authenticator app
    was on it, and now you can't approve any sign-ins. Is that correct?
C: Yes, that's it exactly.
A: And are you on a company laptop now, or your own computer?
C: The company laptop. I can get to the desktop, it just won't let me into email or Teams.
a@3.0: okay
A: Good, that helps. Because the phone is lost, I need to check it's really you in a different
    way. I'll send a one-time code to your manager, and they'll read it to you. Who's your
    manager?
C: Tom Reid, in procurement. He's sitting just over there.
A: Perfect. I've sent it to Tom now.
C: He's got it. It's eight, three, five, one, nine, two.
A: Thank you, that's correct. I've removed the old phone from your account and given you a
    temporary pass that works for eight hours. When you get a new phone, call us, and we'll set
    up the app on it.
C: Oh, thank goodness. I'm in. Thank you so much, Chloe.
A: You're very welcome. And it's worth reporting the phone lost to the rail company, too.
C: I already did, on their website. They said to wait two days. Actually, I have an old phone at
    home. Could I use that in the meantime?
A: That's a good idea, yes. Does it still turn on, and does it have a working connection, either
    a SIM card or Wi-Fi?
C: It does. It's a bit slow, but it works on my home Wi-Fi. I use it for music.
a@4.0: mm-hmm
A: Then tonight, install the Authenticator app on it from the app store, and sign in with your
    work account while you're still within the eight hours of the temporary pass. It'll walk you
    through the rest.
C: And if it goes wrong?
A~1.2: Then just call us back, and quote the ticket number I'll send you by email. Whoever picks
    up will see everything we did today, so you won't have to explain it all again.
C: That's really helpful. Thank you.
A: Not at all. I hope the phone turns up.
""",
    ),
    dict(
        key="chloe-02-outage-angry",
        agent="chloe",
        title="Angry customer during the email outage",
        notes="Stays calm and never defensive; lets the customer vent, acknowledges the "
        "impact, gives facts and a callback time.",
        q={},
        script="""
A: Service desk, Chloe speaking.
C: Yes, hi. Email has been down for two hours. Two hours! I've got a client waiting for a
    contract, I can't send it, nobody has told us anything, and this is the second time this
    month. What exactly is going on over there?
a@6.0: mm-hmm
a@11.0: I see
A: I'm really sorry. Two hours without email, with a client waiting, is a real problem, and
    you're right that we should have told you sooner.
C: Well, yes. Someone should have.
A: Here's what I know. There is an outage with our email provider affecting about half of our
    users. The provider's engineers are working on it, and their last update said they expect it
    back within the hour. We've just sent a message to everyone on Teams, but I understand that
    came late for you.
C: Okay. But that doesn't help my client.
A: Let's see if we can get the contract to them another way. Is it a file on your laptop?
C: It's a PDF, yes.
A: You can share it from OneDrive with a link, because OneDrive isn't affected. Would that work
    for your client?
C: I suppose so. They just need to download it.
A: Then right click the file in OneDrive, choose share, type their email address, and send.
    They'll get a link from OneDrive directly.
C: Okay. Doing it now. It says sent.
A: Great. I'll also add you to the list of people we call as soon as email is back. Is this
    number best?
C: Yes. Thank you. Sorry I shouted.
A: Not at all. It's a frustrating morning. I'll call you as soon as it's fixed.
""",
    ),
    dict(
        key="chloe-03-shared-mailbox",
        agent="chloe",
        title="Shared mailbox disappeared from Outlook",
        notes="Asks open questions instead of assuming, summarises, and checks back at the end.",
        q={},
        script="""
A: Service desk, this is Chloe.
C: Hello. The team mailbox for customer orders has vanished from my Outlook. It was there
    yesterday, and my colleague still has it, so I'm not sure what I've done.
a@4.5: mm-hmm
A~1.2: You probably haven't done anything. Can you tell me a bit more about when you noticed?
C: This morning. I opened Outlook, and the folder was just gone. I also had to change my
    password yesterday afternoon, if that matters.
A: It might. And is it only the orders mailbox, or anything else missing?
C: Now that you ask, the shared calendar for the meeting rooms is gone too.
a@2.5: okay
A: So, let me make sure I've got this: since this morning, both the orders mailbox and the room
    calendar are missing, your colleague still has them, and you changed your password
    yesterday. Is that everything?
C: Yes, that's everything.
A: Thank you. I can see your access to both is still in place, so nothing was removed. It looks
    like Outlook didn't reconnect to them after the password change. Could you close Outlook
    completely and open it again?
C: Okay. Closing. Opening again. It's asking for my password.
A: Go ahead and enter the new one.
C: Done. And there they are. Both of them.
A: Lovely. Is there anything else that's been odd since the password change?
C: No, I think that's it. Thanks, Chloe.
A: You're welcome. Have a good day.
""",
    ),
    # ------------------------------------------------------------------ dev (North)
    dict(
        key="dev-01-email-bouncing",
        agent="dev",
        title="Emails to a supplier bounce back",
        notes="Distracted: asks the customer to repeat the error twice and forgets their "
        "name; gets there in the end.",
        q=dict(lose_distractions=1, understand_remember=1),
        script="""
A: Service desk, Dev speaking.
C: Hi, it's Sandra from purchasing. Every email I send to one of our suppliers comes straight
    back with an error. It says the message was rejected because of the sender's reputation, or
    something like that.
A~2.5: Sorry, can you say that again? I was just closing another ticket.
C: Emails to one supplier bounce back. The error says rejected, something about sender
    reputation.
A: Okay, and what's the supplier?
C: Northgate Metals. Their address ends in northgate metals dot com.
A~3.2: Right. And sorry, what was your name again?
C: Sandra. Sandra Bell, purchasing.
A: Thanks, Sandra. And what did the error say exactly?
C: I've told you twice now. Rejected because of sender reputation.
A: Sorry. Okay. That usually means their email filter has put our domain on a block list. It's
    not something on your laptop.
C: So what can I do? I need to send them an order today.
A~2.4: Let me check. Yes, we had a warning this morning that one of our mail servers was listed
    on a block list. The mail team is already on it.
C: So it will work later?
A: It should work by this afternoon. In the meantime, you could phone the supplier and ask them
    to allow our domain.
C: Fine. Can you let me know when it's fixed?
A: Sure, I'll add you to the ticket.
""",
    ),
    dict(
        key="dev-02-teams-audio",
        agent="dev",
        title="No sound in Teams meetings",
        notes="Goes quiet while doing something else, then repeats a question the customer "
        "already answered.",
        q=dict(natural_pauses=2, lose_distractions=1),
        script="""
A: Service desk, Dev.
C: Hi Dev. I can't hear anyone in Teams meetings. People can hear me, but I get no sound at all.
    Other sounds on the laptop work, like YouTube.
A: Okay. Are you using a headset?
C: Yes, a wireless one with a little USB dongle.
A~4.0: Okay. And can other people hear you?
C: Yes, I just said that. They can hear me, I can't hear them.
A: Sorry, yes. So in Teams, click the three dots at the top, then settings, then devices.
C: Okay, I'm there.
A: What does it say under speaker?
C: It says speakers, high definition audio.
A~3.5: Right, so that's the laptop speakers, not the headset. Change it to the headset.
C: The headset isn't in the list.
A: Hmm. Is the dongle plugged in?
C: Yes, it's plugged in. I said it's a wireless headset. The microphone works, so it must be
    connected.
A: Okay. Sometimes the headset shows up twice, once for the microphone and once for the speaker.
    Unplug the dongle and plug it into a different port.
C: Okay, done. Now it shows headset earphone in the list.
A: Choose that one, and try a test call.
C: I can hear the test call. Finally.
A: Great. Anything else?
C: No, thanks.
""",
    ),
    dict(
        key="dev-03-software-install",
        agent="dev",
        title="Request to install a diagram tool",
        notes="Dev's better call: focused, writes the details down, one short lapse.",
        q=dict(lose_distractions=3, active_listening=3, understand_remember=3),
        script="""
A: Service desk, Dev speaking, how can I help?
C: Hi, I need a diagram tool installed. I'm drawing our network layout for an audit next week,
    and I was told you have an approved one.
A: We do. Can I take your name and your laptop number? It's on a sticker underneath.
C: Sure. It's Omar Haddad, and the laptop number is L, four, two, eight, eight, one.
A: L four two eight eight one. Thanks, Omar. The approved tool is in the Company Portal app, so
    you can install it yourself. Do you know the Company Portal?
C: I don't think so.
A: It's in your start menu. Search for company portal.
C: Okay, found it. It's opening.
A: In the search box, type diagram.
C: There are two. One says diagram studio, and one says diagram studio with visio import.
A~2.8: Sorry, which two did you say?
C: Diagram studio, and diagram studio with visio import.
A: Take the one with visio import, because the audit team sends their templates in that format.
C: Good to know. It's installing. Done.
A: Great. I'll note on your ticket that it's for the network audit, in case anyone asks about
    the licence.
C: Thanks, Dev, that was easy.
""",
    ),
    # ------------------------------------------------------------------ eli (South)
    dict(
        key="eli-01-monitor-dock",
        agent="eli",
        title="Second monitor not detected on the docking station",
        notes="Unhurried, gives the customer time to check each step, and leaves natural pauses.",
        q={},
        script="""
A: Service desk, Eli speaking. What can I do for you today?
C: Hi, my second monitor isn't working. I've got a laptop on a docking station with two screens,
    and since this morning only one of them comes on.
a@5.0: mm-hmm
A: Okay. Let's take it slowly. First, is there a small light on the monitor that isn't working?
C: There's an orange light. The other one has a white light.
A: Orange usually means it's on, but it isn't getting a signal. Could you follow the cable from
    that monitor and tell me where it plugs in?
C~2.0: Okay, give me a second. I'm under the desk. It goes into the back of the docking station.
A: Take your time. Is the cable pushed in firmly at both ends?
C~2.5: The monitor end was a bit loose. I've pushed it in. No change, though.
A: That's fine. Now, with the laptop on the dock, press the Windows key and P together.
C: Okay, a menu came up. It says duplicate, extend, second screen only.
A: Choose extend, please.
C: Ah, there we go. The second screen came on.
A: Lovely. It looks like an update reset the display setting. If it happens again, Windows key
    and P, then extend.
C: I'll write that down. Thanks, Eli.
A: No problem at all. Have a good afternoon.
""",
    ),
    dict(
        key="eli-02-password-help-patient",
        agent="eli",
        title="Customer struggling to reset their own password",
        notes="A nervous customer needs each step repeated; Eli stays patient and never "
        "rushes, though he could summarise more.",
        q=dict(paraphrase=2),
        script="""
A: Service desk, this is Eli.
C: Hello, I'm sorry to bother you. I got an email saying my password will expire, and it said to
    use the self-service page, but I'm not very good with computers, and I don't want to break
    anything.
a@6.0: okay
A: You're not bothering me at all, and you can't break anything. We'll do it together. Do you
    have the email open?
C: Yes, it's in front of me.
A: There's a blue link in it that says change password. Please click it.
C~2.0: Okay. It opened a page. It wants my email address.
A: Type your work email address and press next.
C~3.0: Done. Now it says it sent a code to my phone. Where do I find that?
A: It'll be a text message on your mobile phone. Have a look, there's no hurry.
C~3.5: Oh yes, here it is. It's a long number. Six, two, zero, four, one, seven.
A: Type that number into the page, please.
C: Okay. It says choose a new password. How long does it need to be?
A: At least fourteen letters or numbers. A few words together is easiest, like a short sentence
    you'll remember.
C~2.5: Okay, I've typed one in twice. It says password changed.
A: Well done. That's all there is to it.
C: Oh, that wasn't so bad. Thank you for being so patient.
A: You did it yourself. Have a lovely day.
""",
    ),
    dict(
        key="eli-03-wifi-meeting-room",
        agent="eli",
        title="Wi-Fi drops in one meeting room",
        notes="Asks good questions and waits for answers; a little slow to move to the fix.",
        q={},
        script="""
A: Service desk, Eli speaking.
C: Hi. The Wi-Fi keeps dropping in meeting room four. It's fine everywhere else in the building,
    but in that room every call freezes after a few minutes. It's happened in three meetings
    this week.
a@5.5: mm-hmm
A: That's annoying, especially in meetings. Does it happen to everyone in the room, or just some
    people?
C: Everyone, I think. Definitely everyone on laptops. I'm not sure about phones.
A: And does it happen at any particular time of day?
C: Now that you mention it, mostly in the afternoons.
A~1.5: Okay. Could you tell me which network name the laptops show in that room?
C: It says corporate, same as everywhere.
A: Thank you. I can see the access point in that room has restarted six times this week, all in
    the afternoon. That matches what you're seeing.
C: So it's the equipment, not us.
A: It is, yes. It may be overheating, because that room gets the afternoon sun. I'll raise a
    ticket for the network team to replace it, and ask them to check the ventilation.
C: How long will that take?
A: Usually two or three days. Until then, the room next door has a strong signal, if you can
    move your meetings.
C: Okay, we can do that. While I have you, the screen in that room also takes ages to connect
    when we share a laptop. Is that the same problem?
A~1.4: It could be. The screen uses the Wi-Fi to connect, so if the access point is struggling,
    sharing would be slow too. Let's see if it gets better once the access point is replaced. If
    it doesn't, call us and mention this ticket, and we'll look at the screen itself.
C: That makes sense. Thanks, Eli.
A: You're welcome. Enjoy the rest of your day.
""",
    ),
    # ------------------------------------------------------------------ fatima (South)
    dict(
        key="fatima-01-vpn-hourly",
        agent="fatima",
        title="VPN disconnects every hour",
        notes="Resists the obvious answer, keeps asking, paraphrases twice, and finds an "
        "expired certificate.",
        q={},
        script="""
A: Service desk, Fatima speaking. How can I help?
C: Hi Fatima. My VPN disconnects about every hour. It reconnects by itself, but I lose whatever
    I was doing in the finance system, and I have to log in again.
a@5.0: mm-hmm
A: That must be really disruptive. Before I jump to anything, when did this start?
C: About a week ago, I think. Before that it was fine for months.
A: And is it exactly every hour, or roughly?
C: Actually, it's very regular. Like on the hour. Ten o'clock, eleven o'clock.
A: So let me make sure I have this right: for about a week, the VPN drops on the hour, every
    hour, and reconnects by itself. Is that right?
C: Yes, exactly.
A: That's a useful detail. A drop exactly on the hour usually isn't the Wi-Fi. It's more likely
    something on a timer. Could you open the VPN app and click on the details tab?
C: Okay, I'm there.
A: Is there a line that says certificate, with a date?
C: Yes. It says certificate valid until, and it's last Tuesday.
A: That's it, then. Your certificate expired last Tuesday, so the VPN only gets a temporary
    session that lasts one hour. I'll push a new certificate to your laptop now.
C: Oh, interesting. I would never have found that.
A: It should arrive within a few minutes. Then disconnect and reconnect once.
C~2.0: It says a new certificate was installed. Reconnecting. It says valid until next year.
A: Perfect. So just to recap: the certificate had expired, you now have a new one, and the
    hourly drops should stop. If it drops again today, call me back directly.
C: Thank you so much. Can I ask, why did nobody warn me it was going to expire?
A: That's a fair question. There should have been a reminder two weeks before. Do you remember
    seeing any message from the VPN app, or an email?
C: No. Well, there might have been a pop up, but I get so many of those, I probably closed it.
a@3.0: mm-hmm
A: That's understandable. I'll pass it on to the team that sends the reminders, because a pop up
    that's easy to close isn't a great warning. I'll suggest an email as well.
C: That would help. Thanks again, Fatima.
A: My pleasure. Have a good day.
""",
    ),
    dict(
        key="fatima-02-finance-access",
        agent="fatima",
        title="Complicated access request for a secondment",
        notes="A tangled request; she untangles it by summarising and checking each part.",
        q={},
        script="""
A: Service desk, this is Fatima.
C: Hi. So I'm on a six month secondment to the finance team from marketing, starting today, and
    I need access to their shared drive, their reporting tool, and their Teams channel. But my
    manager in marketing says I should keep my marketing access too, and finance says I
    shouldn't have both. So I'm a bit stuck.
a@6.0: mm-hmm
a@12.5: I see
A: Thanks for explaining, that is a bit of a knot. Let me check I've understood: you need three
    things from finance, the shared drive, the reporting tool and the Teams channel, and there's
    a question about whether you keep your marketing access at the same time. Is that right?
C: Yes. That's it.
A: Okay. Do you know why finance doesn't want you to have both?
C: I think it's because of the budget files. Marketing can see some of the supplier contracts,
    and finance has a rule about that.
A: That makes sense. It's a separation of duties rule. I can't decide that one for you, but I
    can make it easy. I'll raise the three finance requests now, and a separate request to
    pause, not remove, your marketing access, which both managers have to approve. That way
    nothing is lost when you go back.
C: Oh, pausing it is a good idea. Nobody mentioned that.
A: So, to recap what I've raised: finance drive, reporting tool and Teams channel, for six
    months, and a pause on marketing access, approved by both managers.
C: Perfect. How long will it take?
A: The finance ones usually take a day once approved. I'll put a note that you started today.
C: Thank you, Fatima. That's the first time this made sense.
""",
    ),
    dict(
        key="fatima-03-phishing-clicked",
        agent="fatima",
        title="Customer clicked a phishing link",
        notes="Calm and non-judgemental; lets the worried customer finish, confirms the "
        "facts, then acts quickly.",
        q=dict(natural_pauses=5),
        script="""
A: Service desk, Fatima speaking.
C: Hi. I think I've done something stupid. I got an email that looked like it was from our
    delivery company, and I clicked the link, and it asked for my password, and I typed it in
    before I realised the address was wrong.
a@5.0: okay
a@9.5: mm-hmm
A: Thank you for calling straight away. That's exactly the right thing to do, and it happens to
    a lot of people. How long ago was this?
C: Maybe ten minutes ago.
A: Okay. So, to make sure I have the facts: about ten minutes ago you entered your work password
    on a fake page from an email that looked like a delivery notice. Is that right?
C: Yes. Am I in trouble?
A: No, you're not in trouble. I'm going to reset your password now and sign you out everywhere,
    so whoever has the old one can't use it. Are you somewhere you can sign in again?
C: Yes, I'm at my desk.
A: I've reset it. Your temporary password is copper, nine, orchard, two. You'll be asked to
    choose a new one.
C~2.0: Okay. I'm in, and I've set a new one.
A: Good. I can see no one else signed in with your account, so we caught it in time. Please
    forward the email to the report phishing address, and then delete it.
C: I'll do that. Thank you for being so kind about it.
A: You did the right thing by calling. Take care.
""",
    ),
    # ------------------------------------------------------------------ george (South)
    dict(
        key="george-01-outage-blame",
        agent="george",
        title="Outage complaint: 'not our fault'",
        notes="Defensive from the first line, interrupts the complaint and blames the "
        "provider; never acknowledges the impact.",
        q=dict(not_defensive=1, be_patient=1, stop_talking=2),
        script="""
A: Service desk, George.
C: Hi. The finance system has been down all morning. We can't process any payments, the month
    end deadline is today, and nobody has told us when it will be back. This is the third outage
    this quarter and it's just not good enough.
A!6.8/1.8: Well, that's not our fault. The system is hosted by the supplier.
C: I don't really care who hosts it. We need it working. Who do I talk to?
A: You're talking to me, but there's nothing the service desk can do. It's the supplier's
    problem.
C: So what do I tell my director? We'll miss the payment run.
A!1.8/1.6: That's between you and your director, really. We raised it with the supplier at nine.
C: And what did they say?
A: They're working on it. These things take as long as they take. The supplier has had a lot of
    problems with their data centre this year, and honestly we've complained about it more than
    anyone, so it's really not something the service desk can be blamed for.
C!5.0/1.8: I'm not blaming you personally. I'm asking for help.
A: Well, I've told you what I know.
C: Can you at least tell me if there's a workaround, or someone in finance systems I can call?
A: I suppose the finance systems team might be able to extend the deadline. It's not something
    we do.
C: Can you give me their number?
A: It's on the intranet. Extension four, four, one, two.
C: Fine. And will someone tell us when it's back?
A: There'll be a notice on the status page.
C: The status page still says everything is working. It's been green all morning.
A: That's updated by a different team, so I can't do anything about that either.
C: Right. Thanks, I guess.
""",
    ),
    dict(
        key="george-02-repair-delay",
        agent="george",
        title="Laptop repair delayed two weeks",
        notes="Blames the courier and the vendor, talks over the customer once, and only "
        "offers the loan laptop when pushed.",
        q=dict(not_defensive=1),
        script="""
A: Service desk, George speaking.
C: Hello. I sent my laptop in for repair two weeks ago, I was told it would take three days, and
    I've heard nothing. I've been working on my personal computer since then, which I'm not
    really supposed to do.
a@5.0: yeah
A: Right. Well, repairs go to the vendor, so that's out of our hands.
C: But I sent it to you. I don't have any contact with the vendor.
A: We just pass it on. Let me look. Okay, the courier lost it for four days, and then the vendor
    was waiting for a part. That's not us.
C: I understand, but nobody told me any of this. Two weeks, and not a single update. I'm using
    my own laptop for work, with client data on it.
A!4.5/1.4: That's not something we'd recommend, to be honest.
C: I know! That's why I'm calling. What am I supposed to do?
A: Well, there are loan laptops, but you'd have had to ask for one.
C: How would I have known to ask?
A: It's on the intranet, under hardware. Fine, I'll request one for you. It should be ready
    tomorrow.
C: Okay. And the repair?
A: The vendor says the part arrives Friday. I can't promise anything after that.
C: Please update me this time.
A: I'll put a note on it.
""",
    ),
    dict(
        key="george-03-printer-driver",
        agent="george",
        title="Printer driver after an update",
        notes="George's better call: a slip of blame early on, but he listens, tries a "
        "fix and checks it worked.",
        q=dict(not_defensive=3, be_patient=3, open_mind=3, active_listening=3),
        script="""
A: Service desk, George speaking.
C: Hi George. Since last night's update, my laptop says there's no printer installed. I had four
    printers yesterday, and now the list is empty.
A: Ah, that update. The vendor broke a few things with it.
C: Okay, but can you fix it for me?
A: Yes. Which printers do you normally use?
C: The one in my office, the big copier on the ground floor, and the two in the lab upstairs.
    The lab ones matter most. I need to print test results by two o'clock.
a@6.0: okay
A: So the lab printers first. Let me push them back to your laptop from here. It'll take a
    minute.
C: Thank you.
A: Could you open the printers page in settings and tell me what you see?
C~1.5: The two lab printers are there now. And the office one. Not the copier.
A: Okay. The copier needs a different driver, it's coming now. Let me know when it appears.
C~2.0: There it is. All four.
A: Good. Try a test page on the lab printer.
C: It's printing. Great, thanks.
A: No problem. Sorry about the update.
""",
    ),
    # ------------------------------------------------------------------ hana (South)
    dict(
        key="hana-01-account-locked",
        agent="hana",
        title="Account locked: long unexplained silences",
        notes="Polite and correct, but goes silent for long stretches without telling the "
        "customer what she's doing.",
        q=dict(natural_pauses=1),
        script="""
A: Service desk, this is Hana.
C: Hi Hana. My account is locked. I think I typed my password wrong too many times this morning.
A: Okay. Can I have your username, please?
C: It's r dot novak.
A~5.5: Okay.
C~4.0: Hello? Are you still there?
A: Yes, sorry. I'm looking at your account. It's locked, yes.
C: Can you unlock it?
A~5.0: I've unlocked it now. Can you try to sign in?
C: Okay. It's working. But it's saying my password expires in two days.
A: Oh. Would you like to change it now?
C: Might as well, yes.
A~6.0: Okay, I've sent a link to your phone.
C: Got it. I'm changing it. Done.
A: Great. Is there anything else?
C: No, that's it. Thanks.
A: Have a nice day.
""",
    ),
    dict(
        key="hana-02-licence-request",
        agent="hana",
        title="Software licence request: 'are you still there?'",
        notes="Four stretches of dead air; the customer twice checks the line is still "
        "open. The outcome is right, the experience is not.",
        q=dict(natural_pauses=1, lose_distractions=2, be_patient=3),
        script="""
A: Service desk, Hana speaking.
C: Hi. I need a licence for the PDF editor. I have to sign and edit contracts, and the free
    viewer won't let me. My manager said to call you.
A: Okay. What's your name, please?
C: Lucy Adams, from legal.
A~6.5: Okay.
C~3.5: Sorry, is everything alright?
A: Yes. I'm checking the licences.
C~5.0: Hello?
A: Sorry, yes, still here. We have licences available. I need your manager's name for the
    approval.
C: It's Dana Whitfield.
A~5.5: Okay, I've sent the approval to Dana.
C: Do I need to do anything?
A: No. When Dana approves it, it will install by itself.
C: How long does that usually take?
A~4.5: Usually about an hour after approval.
C: Okay. And will I get an email?
A: Yes, you'll get an email.
C: Great. One more thing. I'll also need it on my second laptop, the one I use in court. Is that
    a separate licence?
A~5.5: It's the same licence. It works on two devices.
C: Okay. Do I need to request it again for that laptop?
A: No. It will install on both.
C: Great. Thanks.
A: Bye.
""",
    ),
    dict(
        key="hana-03-mailbox-full",
        agent="hana",
        title="Mailbox full: two long silences",
        notes="Fewer silences than usual and a clear explanation of the archive, but still "
        "goes quiet without saying why.",
        q=dict(natural_pauses=2, lose_distractions=3),
        script="""
A: Service desk, this is Hana, how can I help?
C: Hi. Outlook says my mailbox is full, and I can't send anything. I've deleted loads of emails,
    but it still says full.
A: Okay. Did you empty the deleted items folder as well?
C: Oh. No, I didn't know I had to.
A: Deleted emails go to deleted items first, and they still count. Right click deleted items and
    choose empty folder.
C: Okay, done. It still says nearly full.
A~5.5: Right. You have a lot of large attachments. I can turn on the online archive for you.
C: What does that do?
A: Emails older than a year move to an archive folder. They stay searchable, but they don't
    count towards your mailbox.
C: That sounds good. Yes please.
A~6.0: Okay, it's on. It can take a day to move everything.
C: And in the meantime, can I send emails?
A: Yes, emptying deleted items made enough space for now.
C: Perfect. Thank you.
A: You're welcome.
""",
    ),
]

LINE_RE = re.compile(
    r"^(?P<who>[AaCc])(?:~(?P<gap>[\d.]+)|@(?P<at>[\d.]+)|!(?P<barge>[\d.]+)/(?P<over>[\d.]+))?"
    r":\s*(?P<text>.+)$"
)


def parse_script(script: str, agent: str, rng: np.random.Generator) -> list[Line]:
    """The mini script language in this module's docstring -> ``Line``s."""
    joined: list[tuple[int, str]] = []
    for n, raw in enumerate(script.strip("\n").splitlines(), start=1):
        if raw[:1].isspace() and raw.strip() and joined:
            joined[-1] = (joined[-1][0], joined[-1][1] + " " + raw.strip())
        elif raw.strip() and not raw.lstrip().startswith("#"):
            joined.append((n, raw.strip()))
    lines: list[Line] = []
    for n, raw in joined:
        m = LINE_RE.match(raw)
        if not m:
            raise ValueError(f"{agent}: cannot parse script line {n}: {raw!r}")
        who = AGENT if m["who"] in "Aa" else CUSTOMER
        text = m["text"]
        if m["at"]:
            lines.append(Line(who, text, during=float(m["at"])))
        elif m["barge"]:
            lines.append(Line(who, text, during=float(m["barge"]), talk_over=float(m["over"])))
        elif m["gap"]:
            lines.append(Line(who, text, gap=float(m["gap"])))
        else:
            base = AGENT_PAUSE[agent] if who == AGENT else CUSTOMER_PAUSE
            lines.append(Line(who, text, gap=round(base + rng.uniform(-0.15, 0.2), 2)))
    return lines


def _spoken_text(text: str, spoken_s: float, full_s: float) -> str:
    """Text of a line that was cut off, trimmed in proportion to the time it ran."""
    if spoken_s >= full_s - 0.05:
        return text
    words = text.split()
    keep = max(1, round(len(words) * spoken_s / full_s))
    return " ".join(words[:keep]).rstrip(",.;:") + "..."


def _check_overlaps(key: str, lines: list[Line], segments: list) -> None:
    """Warn when a scripted barge-in or backchannel did not come out as intended."""
    host = None
    for ln, seg in zip(lines, segments, strict=True):
        if ln.during is None:
            host = seg
            continue
        if ln.talk_over is not None and abs(host.end_s - (seg.start_s + ln.talk_over)) > 0.1:
            print(f"WARNING {key}: host line too short for the barge-in {ln.text!r}")
        if ln.talk_over is None and seg.end_s > host.end_s - 0.3:
            print(f"WARNING {key}: overlap {ln.text!r} runs past the end of its host line")


def build_call(index: int, spec: dict) -> tuple[dict, object]:
    rng = np.random.default_rng(1000 + index)
    agent = spec["agent"]
    lines = parse_script(spec["script"], agent, rng)
    customer_voice = CUSTOMER_VOICES[(index * 4 + 1) % len(CUSTOMER_VOICES)]
    rendered = render(
        lines, {AGENT: AGENT_VOICES[agent], CUSTOMER: customer_voice}, seed=2026 + index
    )
    _check_overlaps(spec["key"], lines, rendered.segments)
    segments = []
    for ln, seg in zip(lines, rendered.segments, strict=True):
        full_s = (
            len(
                speak(
                    ln.text,
                    AGENT_VOICES[agent] if ln.speaker == AGENT else customer_voice,
                    ln.speed,
                )
            )
            / rendered.sample_rate
        )
        text = _spoken_text(seg.text, seg.end_s - seg.start_s, full_s)
        segments.append(
            {"speaker": seg.speaker, "start_s": seg.start_s, "end_s": seg.end_s, "text": text}
        )
    quality = {k: PROFILE[agent].get(k) for k in ITEMS}
    quality.update(spec.get("q", {}))
    quality["eye_contact"] = None
    entry = {
        "key": spec["key"],
        "external_id": f"CALL-2026-{index + 1:04d}",
        "agent": agent,
        "title": spec["title"],
        "duration_s": round(rendered.duration_s, 2),
        "agent_channel": 0,
        "sample_rate": rendered.sample_rate,
        "style_notes": spec["notes"],
        "quality": quality,
        "segments": segments,
    }
    return entry, rendered


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    keys = [c["key"] for c in CALLS]
    if len(set(keys)) != len(keys):
        raise SystemExit("duplicate call keys")
    catalogue = []
    print(f"{'call':34} {'dur':>6} {'share':>6} {'int':>4} {'bc':>3} {'sil':>4} {'gap':>6}")
    for index, spec in enumerate(CALLS):
        entry, rendered = build_call(index, spec)
        write_opus(OUT_DIR / f"{spec['key']}.opus", rendered.audio, rendered.sample_rate, KBPS)
        truth = report_from_speech(
            rendered.runs[AGENT], rendered.runs[CUSTOMER], rendered.duration_s
        ).summary()
        print(
            f"{spec['key']:34} {entry['duration_s']:6.1f} {truth['talk_share']:6.2f} "
            f"{truth['interruptions']:4d} {truth['backchannels']:3d} "
            f"{truth['long_silences']:4d} {truth['response_gaps'] or 0:6.2f}"
        )
        catalogue.append(entry)
    for stale in OUT_DIR.glob("*.opus"):
        if stale.stem not in keys:
            stale.unlink()
    CATALOGUE.write_text(json.dumps(catalogue, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT_DIR.glob("*.opus"))
    minutes = sum(c["duration_s"] for c in catalogue) / 60
    print(f"{len(catalogue)} calls, {minutes:.1f} min, {total / 1e6:.2f} MB of audio")
    if total > MAX_TOTAL_BYTES:
        raise SystemExit(f"demo audio is {total} bytes, over the {MAX_TOTAL_BYTES} limit")


if __name__ == "__main__":
    main()
