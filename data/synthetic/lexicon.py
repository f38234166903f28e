"""Word pools shared by every interest: people, places, times, and everyday chat glue.

Pools are plain tuples (no work at import time). Names and places are capitalised as people
type them; grammar literals are lower-case and the styling step decides the final casing.
"""

from __future__ import annotations

import functools

FIRST_NAMES = tuple(
    """
    Maya Jonah Priya Liam Olivia Noah Emma Ava Sophia Isabella Mia Amelia Harper Evelyn Abigail
    Emily Ella Elizabeth Camila Luna Sofia Avery Mila Aria Scarlett Penelope Layla Chloe Victoria
    Madison Eleanor Grace Nora Riley Zoey Hannah Hazel Lily Ellie Violet Lillian Zoe Stella Aurora
    Natalie Emilia Everly Leah Aubrey Willow Addison Lucy Audrey Bella Nova Brooklyn Paisley
    Savannah Claire Skylar Isla Genesis Naomi Elena Caroline Eliana Anna Kinsley Allison Gabriella
    Alice Madelyn Cora Ruby Eva Serenity Autumn Adeline Hailey Gianna Valentina Eliza Quinn Nevaeh
    Ivy Sadie Piper Lydia Alexa Josephine Emery Julia Delilah Arianna Vivian Kaylee Sophie
    Brielle Madeline James Oliver Elijah William Henry Lucas Benjamin Theodore Mateo Levi Sebastian
    Daniel Jack Michael Alexander Owen Asher Samuel Ethan Leo Jackson Mason Ezra John Hudson Luca
    Aiden Joseph David Jacob Logan Luke Julian Gabriel Grayson Wyatt Matthew Maverick Dylan Isaac
    Elias Anthony Thomas Jayden Carter Santiago Ezekiel Charles Josiah Caleb Cooper Lincoln Miles
    Christopher Nathan Isaiah Kai Joshua Andrew Angel Adrian Cameron Nolan Waylon Jaxon Roman Eli
    Wesley Aaron Ian Christian Ryan Leonardo Brooks Axel Walker Jonathan Easton Everett Weston
    Bennett Robert Jameson Landon Silas Jose Beau Micah Colton Jordan Jeremiah Parker Greyson
    Rowan Adam Nicholas Theo Xavier Hunter Dominic Jace Gael River Thiago Kayden Damian August
    Carson Austin Myles Amir Declan Emmett Ryder Luka Connor Rahul Anjali Wei Mei Hiroshi Yuki
    Fatima Omar Aisha Tariq Chen Ling Arjun Divya Kofi Ama Sipho Thandi Mateus Bruna Ines Pedro
    Giulia Marco Lars Freya Sven Ingrid Tomasz Kasia Dmitri Anya Ravi Sunita Kwame Nia
    """.split()
)

SURNAMES = tuple(
    """
    Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
    Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
    Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
    Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
    Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
    Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
    Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo
    Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman
    Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander
    Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis
    Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald
    Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford
    Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks
    Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice
    Okafor Mensah Nakamura Tanaka Kowalski Novak Rossi Bianchi Larsen Dubois Moreau Schmidt
    """.split()
)

TOWNS = tuple(
    """
    Riverton Maplewood Cedar_Falls Brookside Lakeview Fairhaven Oakridge Pine_Hill Westbury
    Millbrook Ashford Clearwater Stonebridge Greenfield Hartwell Kingsport Elmwood Bayside
    Northgate Silver_Lake Springdale Willow_Creek Harborview Redwood_City Fox_Hollow Glenwood
    Highland_Park Meadowbrook Rockport Sunnyvale Briarwood Crestview Eastport Fairview Granville
    Hillcrest Ironwood Juniper Kensington Larkspur Midvale Newbury Orchard_Park Parkside
    Quarry_Hill Rosemont Sherwood Thornbury Upton Valley_Forge Waverly Yarmouth Alder_Grove
    Beacon_Hill Copper_Canyon Deer_Park Edgewater Foxborough Goldcrest Hollis Lindenwood
    Marblehead Norwood Oceanside Pembroke Ridgefield Seabrook Tamarack Union_Square Weston
    """.split()
)

NEIGHBOURHOODS = tuple(
    """
    downtown midtown uptown the_east_side the_west_end the_old_town the_harbor the_riverfront
    the_arts_district chinatown little_italy the_university_district the_flats the_heights
    the_village the_market_district the_waterfront the_north_end the_south_side the_mill_district
    the_docks the_gardens the_lakeshore the_hill the_junction the_square
    """.split()
)

STREETS = tuple(
    """
    Main Oak Maple Elm Pine Cedar Park Lake Hill Washington Lincoln Church Spring Ridge Mill
    River Highland Union Chestnut Walnut Willow Franklin Jefferson Market Broad Grove Sunset
    Center Forest Meadow Madison Jackson Adams Bridge Harbor Bay Orchard Vine Court
    """.split()
)

STREET_KINDS = ("street", "avenue", "road", "drive", "lane", "boulevard")

# Filler words people sprinkle into chat ("it was literally so good"); each user has favourites.
FILLERS = ("like", "literally", "honestly", "just", "really", "actually", "lowkey", "basically",
           "totally", "kinda", "um", "tbh")

PET_KINDS = ("dog", "cat", "puppy", "kitten", "bunny", "hamster", "parrot", "lizard")

MASCOTS = tuple(
    """
    Hawks Wolves Bears Tigers Lions Falcons Sharks Comets Rockets Pirates Rangers Royals Knights
    Titans Storm Thunder Lightning Foxes Owls Eagles Bulls Stallions Mustangs Panthers Jaguars
    Vipers Cobras Ravens Herons Gulls Otters Bison Coyotes Mariners Miners Pioneers Spartans
    Giants Dragons Phoenix
    """.split()
)

VENUE_KINDS = ("Park", "Field", "Arena", "Stadium", "Dome", "Grounds")

# Syllables for names that exist nowhere else (a pet's nickname): per-user words a keyboard
# can only learn from that user, like a real user's in-jokes and nicknames.
NAME_ONSETS = ("b", "z", "k", "m", "p", "t", "g", "d", "fl", "sn", "br", "gr", "ch", "sk", "w", "l")
NAME_VOWELS = ("a", "o", "u", "i", "oo", "ee", "ai", "ou")
NAME_CODAS = ("", "x", "z", "b", "p", "k", "ms", "rk", "ndo", "lix", "pi", "mo", "bo", "zy", "sh")


@functools.cache  # Every user draws from the same few pools.
def spaced(names: tuple[str, ...]) -> tuple[str, ...]:
    """Turns pool entries written with underscores ("Cedar_Falls") into words ("Cedar Falls")."""
    return tuple(name.replace("_", " ") for name in names)


# Rules every interest can use. Times and numbers are written the way people type them.
SHARED_RULES = {
    "hour": [str(h) for h in range(1, 13)],
    "clock": ["{hour}", "{hour}:30", "{hour}:15", "{hour}:45", "{hour} pm", "{hour}:30 pm"],
    "at_time": [("at {clock}", 3), "around {hour}", "by {hour}", "after {hour}"],
    "day": [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ],
    "when": [
        ("tonight", 3),
        ("tomorrow", 3),
        "today",
        "this weekend",
        "next week",
        "on {day}",
        "this {day}",
        "after work",
        "after school",
        "later",
        "this morning",
        "tomorrow night",
        "this afternoon",
    ],
    "small_number": ["2", "3", "4", "5", "6", "two", "three", "a couple", "a few"],
    "laugh": ["lol", "haha", "lmao", "hahaha", "😂"],
    "reaction": [
        "omg",
        "wait what",
        "no way",
        "yes",
        "nice",
        "ugh",
        "ok",
        "okay",
        "wow",
        "same",
        "honestly",
        "ngl",
        "fr",
    ],
    "hi": ["hey", "hi", "yo", "hey hey", "morning", "hiii"],
    "thanks": ["thanks", "thank you", "thx", "ty", "thanks so much"],
    "please": ["", "", "pls", "please"],
    # Chat is addressed to people: the user's own friends and partner come up everywhere.
    "opener": [
        ("", 16),
        "{hi}, ",
        "{reaction}, ",
        "so ",
        "btw ",
        "quick question, ",
        ("{hi} {@friend}, ", 2),
        "{@friend}! ",
        "{@nick}, ",
    ],
    "closer": ["", "", "", "", " {laugh}", " 🙏", " thanks!", " !!", " x"],
    "near_me": ["near me", "near {@town}", "in {@town}", "open now", "nearby", "close to me"],
    "price": ["$5", "$10", "$12.99", "$20", "$25", "$40", "$50", "$100", "$250"],
    "best": ["best", "cheap", "good", "top rated", "best cheap", "affordable"],
}
