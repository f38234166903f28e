"""Everyday interests: tech help, school, health, local news and weather, work, social plans."""

from __future__ import annotations

from data.synthetic.grammar import FrameTable
from data.synthetic.interests.base import InterestSpec

_DEVICES = """
laptop | won't turn on, keeps freezing, is so slow, won't connect to wifi | restart it, reset it
iphone | keeps restarting, won't charge, battery drains fast | update ios, clear storage
printer | says offline, keeps jamming, won't print double sided | reinstall the driver
router | keeps dropping, has no internet, blinks orange | unplug it for 30 seconds, reset it
android phone | won't charge, keeps freezing, has no signal | clear the cache, restart it
tv | has no sound, won't connect to wifi, keeps buffering | unplug it, reset the network
airpods | won't connect, only one side works | reset them, clean them, forget the device
smart watch | won't sync, stopped counting steps | re pair it, update the app
macbook | fan is so loud, won't update, keeps beachballing | reset the smc, free up space
ps5 | won't turn on, keeps disconnecting | rebuild the database, update the controller
"""

_TECH_RULES = {
    "query": [
        ("my {device.name} {device.problem}", 4),
        "how to fix (a|my) {device.name} that {device.problem}",
        "{device.name} {device.problem} (fix|help|reddit)",
        "how to {device.fix} {device.name}",
        "how to (transfer photos|back up|reset|screenshot) (on|from) {device.name}",
        "how to (change|reset|recover) my {account} password",
        ("how to {tech_task} on (a|my) {device.name}", 2),
        "{device.name} (storage full|battery health|warranty|screen repair cost) {near_me}",
        "(should i|is it worth it to) {device.fix} if my {device.name} {device.problem}",
        "{best} {device.name} (under|for) {price}",
        "is it worth repairing a {device.name}",
        "how to (block|stop) spam (calls|texts|emails)",
        "how to (turn off|turn on) (dark mode|autocorrect|notifications|location)",
        "{account} (down|not working|login) (today|right now)",
    ],
    "chat": [
        ("my {device.name} {device.problem} again, should i {device.fix}?", 4),
        "(can you|could you) help me with my {device.name}? it {device.problem}",
        "did you try to {device.fix}? that fixed my {device.name} last time",
        "what's the wifi password again?",
        "mom, it's the {device.name}, just {device.fix} {laugh}",
        "(i|i think i) got locked out of my {account} account {reaction}",
        "the {device.name} {device.problem} and i have a call {at_time}",
        "don't click that link, it's a scam",
    ],
    "tech_task": [
        "take a screenshot",
        "clear the cache",
        "free up space",
        "update the software",
        "turn on bluetooth",
        "find the ip address",
        "change the wallpaper",
        "record the screen",
        "set up parental controls",
        "connect to a hotspot",
        "check for viruses",
        "back up photos",
        "cast to the tv",
        "change the language",
    ],
    "account": ["gmail", "apple id", "instagram", "netflix", "bank", "work", "facebook", "amazon"],
}

_SUBJECTS = """
math | fractions, the quadratic formula, long division, algebra | worksheet, test
chemistry | the periodic table, balancing equations, moles | lab report, quiz
biology | cell division, photosynthesis, the krebs cycle | lab report, exam
history | the civil war, world war 2, the french revolution | essay, test
english | the great gatsby, hamlet, a persuasive essay | essay, book report
spanish | verb conjugation, the subjunctive, vocab | quiz, oral exam
physics | projectile motion, newton's laws, circuits | problem set, midterm
economics | supply and demand, inflation, gdp | paper, final
computer science | recursion, python loops, binary trees | project, exam
psychology | classical conditioning, memory, the brain | paper, midterm
"""

_SCHOOL_RULES = {
    "query": [
        ("how to (solve|understand|explain) {subject.topic}", 3),
        "{subject.topic} (explained|examples|practice problems|for dummies)",
        "{subject.name} {subject.work} (help|tips|due date|format)",
        "how to study for a {subject.name} {subject.work}",
        "(mla|apa) format (citation|works cited) for a (website|book)",
        "{subject.topic} khan academy",
        "(college|scholarship) application deadline {month_plain}",
        "how to write a (thesis statement|conclusion|lab report)",
        "{best} (laptop|calculator|backpack) for (college|high school) students",
    ],
    "chat": [
        ("did you finish the {subject.name} {subject.work}? i'm stuck on {subject.topic}", 4),
        "is the {subject.name} {subject.work} due {when}??",
        "(wanna|want to) study for {subject.name} at the library {when}?",
        "i totally forgot about the {subject.name} {subject.work} {reaction}",
        "can you send me the notes on {subject.topic}?",
        "{subject.name} teacher gave us a pop quiz on {subject.topic} {laugh}",
        "(got|just got) my {subject.name} grade back, (so relieved|not great)",
        "do you get {subject.topic}? i (don't|do not) get it at all",
        "school pickup {at_time} {when}, don't be late",
    ],
    "month_plain": ["january", "march", "november", "december", "2026"],
}

_WORKOUTS = """
running | shin splints, knees, calves | 5k, half marathon | running shoes
yoga | hamstrings, lower back, hips | class, retreat | a yoga mat
lifting | shoulders, lower back, wrists | leg day, push day | lifting straps
cycling | knees, lower back | spin class, long ride | padded shorts
swimming | shoulders, neck | laps, open swim | goggles
hiking | ankles, knees, blisters | trail, day hike | hiking boots
pilates | core, hips | reformer class, mat class | grip socks
climbing | fingers, forearms, elbows | bouldering session, climbing gym | climbing shoes
"""

_HEALTH_RULES = {
    "query": [
        ("{workout.name} (sore|pain in my) {workout.body}", 3),
        "how to prevent {workout.body} pain from {workout.name}",
        "{workout.name} for beginners {workout.goal}",
        "{best} {workout.gear} for {workout.name}",
        "{workout.name} (plan|schedule|app) (for|to lose) weight",
        "how much (protein|water|sleep) do i need",
        "(headache|sore throat|back pain|allergies) (remedies|that won't go away|and fever)",
        "{symptom} (covid|flu|cold) or allergies",
        "urgent care {near_me} (open now|wait time)",
        "how many calories does {workout.name} burn",
        "(healthy|high protein|low carb) (breakfast|snacks|meal prep) ideas",
    ],
    "chat": [
        ("(did|just did) {workout.name} this morning and my {workout.body} (are|is) killing me", 4),
        "(wanna|want to) go {workout.name} {when}? i'll bring my {workout.gear}",
        "signed up for a {workout.goal}, (help|what was i thinking) {laugh}",
        "{@gym} {at_time}? it's {workout.goal} day",
        "(i'm|im) skipping {workout.name} {when}, my {workout.body} hurts",
        "doctor's appointment {when} {at_time}, can you (drive me|watch the kids)?",
        "(feeling|still feeling) sick, staying in bed {when}",
        "(drink|remember to drink) water {laugh}",
        "(got|just got) my flu shot, arm is sore",
    ],
    "symptom": ["runny nose", "headache", "sore throat", "cough", "fever", "body aches"],
}

_WEATHER = """
rain | an umbrella, rain boots, a rain jacket | flooding, commute delays | stay dry | rain
snow | a shovel, snow boots, a scraper | school closings, road closures | stay warm | snow
heat wave | sunscreen, water, a fan | cooling centers, power outages | stay cool | be so hot
storms | flashlights, batteries, a charger | power outages, tree damage | stay safe | storm
fog | fog lights, extra time | delays, bridge closures | drive safe | be foggy
wind | a jacket, a hat | downed power lines, ferry cancellations | hold onto your hat | be windy
"""

_LOCAL_RULES = {
    "query": [
        ("weather {@town} {when}", 3),
        ("{weather.kind} (forecast|warning) {@town} do i need {weather.gear}", 2),
        "{weather.kind} (forecast|warning|tonight|tomorrow) {@town}",
        "{@town} {weather.news}",
        "is school (closed|delayed) {when} {@town}",
        "(traffic|accident) on (i 95|the highway|{@street}) (right now|today)",
        "{@town} (farmers market|library hours|city council|fireworks|trash pickup schedule)",
        "(events|things to do|live music) in {@hood} {when}",
        "{best} (coffee|brunch|pizza|tacos|bakery) in {@hood}",
        "(dmv|post office|city hall) hours {@town}",
        "{@town} (news|police|fire) (today|this morning)",
    ],
    "chat": [
        ("{weather.kind} {when}, don't forget {weather.gear}", 4),
        "supposed to {weather.verb} all day, bring {weather.gear}",
        "did you hear about the {weather.news} in {@town}?",
        "(road|street) is closed on {@street}, take the long way",
        "power's out on our street {reaction}",
        "new (coffee shop|bakery|taco place) opened in {@hood}, we should try it",
        "the {weather.kind} is (crazy|wild|not letting up) out there, {weather.tip}",
        "{@town} (fair|parade|market) is {when}, want to go?",
    ],
}

_TASKS = """
the standup | my update, the notes | this morning | the team
the quarterly review | the slides, the numbers, the forecast | on thursday | my manager
the client call | the proposal, the contract, the demo | at 2 | the client
the performance review | my self assessment, the feedback form | next week | hr
the launch | the release notes, the checklist, the press kit | on friday | the whole company
the budget meeting | the spreadsheet, the invoices | tomorrow | finance
the interview panel | the candidate's resume, the scorecard | at 11 | the hiring manager
"""

_WORK_RULES = {
    "query": [
        "how to prepare for {task.name} (with|for) {task.who}",
        ("how to (write|update|format) a (resume|cover letter) for {job}", 3),
        "{job} (salary|jobs|interview questions) {near_me}",
        "how to ask for a raise",
        "(excel|google sheets) (vlookup|pivot table|conditional formatting) (tutorial|not working)",
        "how to (write|send) a polite (follow up|out of office|resignation) email",
        "(remote|hybrid) {job} jobs",
        "how to (mute|share screen|blur background) on (zoom|teams)",
    ],
    "chat": [
        ("running late, (see you|be there) at {clock}{closer}", 3),
        (
            "(prepping|getting ready) for {task.name} {task.when}, still need {task.thing}",
            4,
        ),
        "{task.who} wants {task.thing} (before|for) {task.name}, (ugh|help) {laugh}",
        "did you send {task.thing}? {task.name} is {task.when}",
        "stuck in a meeting till {clock}, (start|eat) without me",
        "(can you|could you) cover my shift {when}? i'll take your {day}",
        "my boss wants the (report|slides|numbers) by {clock} {reaction}",
        "(interview|job interview) {when} {at_time}, wish me luck!",
        "working late {when}, don't wait up",
        "(got|just got) the job!!! {laugh}",
        "(i'm|im) (wfh|working from home) {when}, come by for lunch?",
        "(zoom|teams) link for {clock}?",
    ],
    "job": [
        "nurse",
        "teacher",
        "software engineer",
        "data analyst",
        "barista",
        "project manager",
        "accountant",
        "graphic designer",
        "electrician",
        "marketing",
        "sales",
        "receptionist",
    ],
}

_PLANS = """
bowling | the lanes, the alley | socks, cash for shoes
karaoke | the bar, the karaoke place | your best song, your voice
a movie | the theater, the cinema | snacks, the tickets
a hike | the trailhead, the parking lot | water, bug spray, snacks
a beach day | the beach, the boardwalk | sunscreen, towels, a speaker
game night | my place, your place | snacks, cards, catan
a picnic | the park, the lake | a blanket, a speaker, drinks
trivia | the pub, the brewery | your brain, a team name
"""

# The opener ("can you", "do you know if", "are you free") decides the ending many words later.
_SOCIAL_RULES = {
    "query": [
        ("{best} (brunch|bars|date night restaurants|rooftop bars) {near_me}", 3),
        "(birthday|anniversary|housewarming) gift ideas for (him|her|a friend|my mom|my dad)",
        "(escape room|bowling|karaoke|trivia night|mini golf) {near_me}",
        "fun (date|group) ideas {when}",
        "(happy birthday|congrats) message for (a friend|my sister|a coworker)",
    ],
    "chat": [
        (
            "{plan.name} {when}? meet at {plan.place} {at_time}, (bring|don't forget) {plan.bring}",
            4,
        ),
        "still on for {plan.name}? i'm at {plan.place}, did you bring {plan.bring}?",
        ("(are you|r u) free {when}? (we should|let's) (get|grab) {plan_food}", 4),
        ("do you know if {place} is (still open|open) {when}?", 3),
        ("can you {favor} before {clock}? {thanks}", 3),
        "{@friend}'s birthday is {when}, (did you get|what are you getting) (her|him|them) a gift?",
        "{hi} {@friend}! running {late_by} late, see you at {clock}",
        "omw, be there in {small_number} minutes",
        "(happy birthday|hbd) {@friend}!! (love you|have the best day)",
        "tell {@partner} i said hi",
        "(how's|how is) {@pet} doing? send pics",
        "{@pet} (ate|chewed) my (sock|charger|sandwich) again {laugh}",
        "taking {@pet} to the vet {when} {at_time}",
        "{@nick} can you let {@pet} out when you get home?",
        "love you {@nick}, see you {when}",
        "{@sibling} is in town {when}, dinner at {place}?",
        "(did you talk|have you talked) to {@friend} (lately|about {when})?",
        "(miss|missing) you guys, (we need to|let's) hang soon",
        "(can't|cannot) make it {when}, sorry {laugh}",
    ],
    "plan_food": ["dinner", "drinks", "coffee", "brunch", "lunch", "tacos", "ice cream"],
    "place": [("{@cafe}", 2), "that place in {@hood}", "that new (bar|taco spot|pizza place)"],
    "favor": [
        "pick up {@kid}",
        "grab milk",
        "call me",
        "walk {@pet}",
        "text {@friend}",
        "feed {@pet}",
        "move your car",
        "send me the address",
    ],
    "late_by": ["5 min", "10 min", "15 minutes", "a little", "so"],
}


def tech_help() -> InterestSpec:
    """Devices that misbehave; the device decides the problem and the fix."""
    frames = {"device": FrameTable.parse(_DEVICES, ("name", "problem", "fix"))}
    return InterestSpec("tech_help", _TECH_RULES, frames)


def school() -> InterestSpec:
    """Homework and exams; the subject decides the topic and assignment."""
    frames = {"subject": FrameTable.parse(_SUBJECTS, ("name", "topic", "work"))}
    return InterestSpec("school", _SCHOOL_RULES, frames)


def health() -> InterestSpec:
    """Workouts and feeling sick; the workout decides the sore body part and gear."""
    frames = {"workout": FrameTable.parse(_WORKOUTS, ("name", "body", "goal", "gear"))}
    return InterestSpec("health", _HEALTH_RULES, frames)


def local() -> InterestSpec:
    """Local news and weather; the weather decides the gear and the news."""
    columns = ("kind", "gear", "news", "tip", "verb")
    frames = {"weather": FrameTable.parse(_WEATHER, columns)}
    return InterestSpec("local", _LOCAL_RULES, frames)


def work() -> InterestSpec:
    """Jobs, meetings and shifts; the meeting decides what to prepare and for whom."""
    frames = {"task": FrameTable.parse(_TASKS, ("name", "thing", "when", "who"))}
    return InterestSpec("work", _WORK_RULES, frames)


def social() -> InterestSpec:
    """Plans with friends, birthdays, pets and partners: most personal entities live here."""
    frames = {"plan": FrameTable.parse(_PLANS, ("name", "place", "bring"))}
    return InterestSpec("social", _SOCIAL_RULES, frames)
