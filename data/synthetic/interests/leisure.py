"""Leisure interests: sports, music, gaming, movies and tv, travel.

Sports uses the league's ``team`` frame (built per seed by the population, so every team has
its own players and venue) and the user's favourite team (``{@team}``, ``{@team_player}``).
"""

from __future__ import annotations

from data.synthetic.grammar import FrameTable
from data.synthetic.interests.base import InterestSpec

_SPORTS_RULES = {
    "query": [
        ("{team.name} (score|schedule|tickets|roster|highlights|injury report)", 3),
        "{@team} (score|schedule|tickets|next game|trade rumors)",
        ("is {team.player} playing (tonight|today|on {day}) for {team.short}", 2),
        "{team.player} (stats|injury|contract|highlights)",
        "{team.venue} (parking|seating chart|bag policy|food)",
        "{team.name} vs {team.rival} {when}",
        "how to watch {team.name} (game|live|without cable)",
        "{@team_player} (stats|injury update|highlights)",
        "{@team_venue} (parking|tickets|hours)",
        "fantasy (football|basketball|baseball) (waiver|trade) advice",
        "(pickup|rec league) (soccer|basketball|volleyball) {near_me}",
    ],
    "chat": [
        ("did you (watch|see) the {@team} game? {@team_player} was (unreal|on fire|terrible)", 4),
        (
            "did you see {team.player} last night? (carrying|saving) {team.short} (again|as usual)",
            3,
        ),
        ("{team.name} game at {team.venue} {when}, (want to|wanna) go?", 2),
        "{team.name} (lost|won) again, {team.player} (can't|couldn't) miss {laugh}",
        "(want to|wanna) go to the {@team} game at {@team_venue} {when}?",
        "got tickets for {team.name} at {team.venue} {when}!!",
        "{@team_player} is (out|back) (for|on) {day} {reaction}",
        "(are you|r u) watching the game? {@team} up by {small_number}",
        "that call was (so bad|robbery|insane), {@team} got robbed",
        "heading to {@team_venue}, meet at gate {gate} {at_time}",
        "{team.player} to the {team.rival}?? no way",
        "(soccer|basketball|softball) (practice|game) (is|got) (moved|cancelled) {when}",
        "(go|let's go) {@team}!!",
    ],
    "gate": ["a", "b", "c", "2", "4", "7"],
}

_ARTISTS = """
the velvet tides | paper moon, neon harbor, slow dancer | indie | the fillmore
june carter james | golden hour roads, porch light | country | the ryman
kid nova | midnight static, no ceilings, big money | hip hop | the arena
luna park | heartbeat radio, electric summer, sugar rush | pop | the stadium
the hollow pines | river stones, winter fires | folk | the amphitheater
dj marlowe | bassline fever, after dark | electronic | the warehouse
sierra vale | broken compass, wildflower | pop | the garden
the static kings | loud and proud, crash the party | rock | the coliseum
mira soleil | la luna, fuego lento | latin | the plaza
blue harbor quartet | rainy sunday, coffee blues | jazz | the blue note
ashton reed | whiskey rain, dirt road | country | the fairgrounds
nova strings | cinema, afterglow | classical | the symphony hall
echo district | glass houses, runaway, satellites | indie | the old theater
big tuna | crawfish boil, bayou nights | blues | the juke joint
the lemon drops | bubblegum, roller rink | pop | the pier
"""

_MUSIC_RULES = {
    "query": [
        ("{artist.name} {artist.song} lyrics", 3),
        "{artist.name} (tour|tickets|new album|concert) {year_or_city}",
        "{artist.song} {artist.name} (chords|meaning|remix|acoustic)",
        "songs like {artist.song}",
        "{best} {artist.genre} (playlist|albums|artists) {year_or_city}",
        "how to learn (guitar|piano|ukulele|drums) (fast|online|for adults)",
        "(guitar|piano) lessons {near_me}",
        "concerts {near_me} {when}",
        "who sings {artist.song}",
    ],
    "chat": [
        (
            "have you heard the new {artist.name} album? {artist.song} is (so good|on repeat)",
            4,
        ),
        "{artist.name} is playing {artist.venue} {when}, want to go?",
        "got us tickets to {artist.name}!! {artist.song} live is going to be insane",
        "can't stop listening to {artist.song} {laugh}",
        "(send|make) me that {artist.genre} playlist",
        "{artist.name} (opened|closed) with {artist.song}, i cried",
        "(band practice|rehearsal) {when} {at_time}, bring your (guitar|amp|sticks)",
        "this song reminds me of you {artist.song} by {artist.name}",
    ],
    "year_or_city": ["2026", "{@town}", "", ""],
}

_GAMES = """
minecraft | creeper, redstone, nether portal, diamond pickaxe | survival world | build
fortnite | battle pass, victory royale, new skin | squads | drop in
zelda | master sword, shrine, korok seeds | main quest | beat
mario kart | blue shell, rainbow road, mushroom cup | grand prix | race
pokemon | shiny charizard, gym leader, elite four | trainer battle | catch
elden ring | malenia, torrent, rune farming | boss fight | beat
animal crossing | turnip prices, museum, island rating | island | visit
call of duty | warzone, loadout, prestige | ranked | queue
stardew valley | community center, ancient fruit, greenhouse | farm | play
league | ranked climb, jungle, baron | ranked | queue
fifa | ultimate team, pack opening, squad builder | weekend league | play
chess | queen's gambit, blitz, checkmate | rated games | play
"""

_GAMING_RULES = {
    "query": [
        ("{game.name} how to get {game.thing}", 3),
        "{game.name} {game.thing} (guide|tips|location|build)",
        "{game.name} (update|patch notes|release date|server status)",
        "is {game.name} (on sale|cross platform|worth it|free)",
        "{best} (gaming headset|controller|gaming chair|gaming laptop) under {price}",
        "games like {game.name}",
        "{game.name} (cheats|seed|codes) {year}",
        "how to fix (controller drift|lag|nat type) on (ps5|xbox|switch|pc)",
    ],
    "chat": [
        ("(wanna|want to) {game.verb} {game.name} {when}? i finally got {game.thing}", 4),
        "(hop|get) on {game.name}, {game.mode} {at_time}?",
        "bro i just got {game.thing} in {game.name} {laugh}",
        "{@friend} (carried|threw) the whole {game.mode} {laugh}",
        "(i'm|im) stuck on the {game.thing} part of {game.name}, any tips?",
        "servers are down again {reaction}",
        "(gg|good game), {game.name} {game.mode} {when} again?",
        "(brb|be right back), dinner then {game.name}",
    ],
    "year": ["2026", "", "this season"],
}

_SHOWS = """
the bear | carmy, richie, sydney | season 3 | hulu
severance | mark, helly, the innies | season 2 | apple tv
succession | logan roy, kendall, shiv | the finale | max
the office | michael scott, dwight, jim and pam | season 4 | peacock
stranger things | eleven, dustin, the upside down | season 5 | netflix
the last of us | joel, ellie, the clickers | season 2 | max
bridgerton | daphne, the duke, lady whistledown | season 3 | netflix
ted lasso | coach beard, roy kent, rebecca | season 3 | apple tv
abbott elementary | janine, gregory, ava | season 4 | hulu
the white lotus | tanya, the hotel manager, the resort | season 3 | max
only murders in the building | mabel, charles, oliver | season 4 | hulu
the great british baking show | paul hollywood, the technical, star baker | the new season | netflix
"""

_MOVIES_RULES = {
    "query": [
        ("{show.name} {show.season} (release date|cast|recap|review)", 3),
        "where to watch {show.name}",
        "is {show.name} on {show.platform}",
        "{show.name} {show.character} (actor|explained|theory)",
        "shows like {show.name}",
        "movies (playing|showing) {near_me} {when}",
        "{best} (horror|comedy|romcom|thriller|documentary) movies on {show.platform}",
        "{show.platform} (price|new releases|login)",
    ],
    "chat": [
        ("did you finish {show.name}? no spoilers but {show.character}{reaction_end}", 4),
        "(ok|okay) {show.name} {show.season} is (so good|a mess|worth it)",
        "(wanna|want to) watch {show.name} {when}? it's on {show.platform}",
        "{show.character} in {show.name} is my whole personality now {laugh}",
        "movie night {when}? i'll bring popcorn",
        "(don't|do not) tell me what happens to {show.character}",
        "what should we watch {when}? thinking {show.name}",
        "can i use your {show.platform} login again {laugh}",
    ],
    "reaction_end": ["!!", " omg", "...", " 😭", " wow"],
}

_DESTINATIONS = """
lisbon | the tram 28, pasteis de nata, alfama | portugal | lis
tokyo | shibuya crossing, ramen, the jr pass | japan | hnd
mexico city | tacos al pastor, frida kahlo museum, the pyramids | mexico | mex
paris | the louvre, croissants, the eiffel tower | france | cdg
new york | broadway, a bagel, central park | the us | jfk
denver | red rocks, the mountains, hiking | colorado | den
cancun | the beach, cenotes, snorkeling | mexico | cun
london | the tube, a pub, the british museum | england | lhr
rome | the colosseum, gelato, the vatican | italy | fco
barcelona | sagrada familia, tapas, the beach | spain | bcn
miami | south beach, cuban coffee, little havana | florida | mia
chicago | deep dish, the bean, the riverwalk | illinois | ord
seattle | pike place, the space needle, coffee | washington | sea
reykjavik | the northern lights, the blue lagoon, hot dogs | iceland | kef
hawaii | snorkeling, poke, the volcano | hawaii | hnl
nashville | hot chicken, honky tonks, live music | tennessee | bna
"""

_TRAVEL_RULES = {
    "query": [
        ("(flights|cheap flights) to {dest.city} (in|for) {month}", 3),
        "things to do in {dest.city} (in|for) {trip_length}",
        "{dest.city} {dest.thing} (tips|worth it|tickets|best time)",
        "best time to visit {dest.city}",
        "(hotels|airbnb) in {dest.city} near {dest.thing}",
        "do i need a visa for {dest.country}",
        "{dest.airport} airport (parking|terminal map|lounge|security wait)",
        "{dest.city} weather in {month}",
        "how much to tip in {dest.country}",
        "carry on size (limit|rules) {airline}",
        "{airline} (baggage fees|check in|flight status|delayed)",
    ],
    "chat": [
        ("(booked|just booked) flights to {dest.city}!! we have to try {dest.thing}", 4),
        "landed in {dest.city}, (heading|going) to {dest.thing} first",
        "(how was|how's) {dest.city}? did you do {dest.thing}?",
        "flight got delayed {small_number} hours {reaction}",
        "can you drive me to the airport {when} {at_time}?",
        "(miss|missing) {dest.city} already, {dest.thing} was the best",
        "{@friend} wants to do {dest.city} in {month}, you in?",
        "packing for {dest.city}, do i need a jacket in {month}?",
        "our {airline} flight is at {clock}, leave by {hour}?",
    ],
    "month": [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ],
    "trip_length": ["3 days", "a weekend", "a week", "24 hours", "2 days"],
    "airline": ["delta", "united", "southwest", "american airlines", "jetblue", "alaska"],
}


def sports(league: FrameTable) -> InterestSpec:
    """Teams, games and tickets; the team decides its players and venue."""
    return InterestSpec("sports", _SPORTS_RULES, {"team": league})


def music() -> InterestSpec:
    """Artists, songs and concerts; the artist decides the song and venue."""
    frames = {"artist": FrameTable.parse(_ARTISTS, ("name", "song", "genre", "venue"))}
    return InterestSpec("music", _MUSIC_RULES, frames)


def gaming() -> InterestSpec:
    """Video games with friends; the game decides the items and modes."""
    frames = {"game": FrameTable.parse(_GAMES, ("name", "thing", "mode", "verb"))}
    return InterestSpec("gaming", _GAMING_RULES, frames)


def movies_tv() -> InterestSpec:
    """Shows and movies; the show decides the characters, season and platform."""
    frames = {"show": FrameTable.parse(_SHOWS, ("name", "character", "season", "platform"))}
    return InterestSpec("movies_tv", _MOVIES_RULES, frames)


def travel() -> InterestSpec:
    """Trips and flights; the destination decides the sights, country and airport."""
    frames = {"dest": FrameTable.parse(_DESTINATIONS, ("city", "thing", "country", "airport"))}
    return InterestSpec("travel", _TRAVEL_RULES, frames)
