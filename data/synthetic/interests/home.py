"""Home interests: cooking, parenting, shopping, money.

Frames carry the long-range structure: the dish named first decides the ingredient named
several words later, the store decides the product, the kid's activity decides the gear.
"""

from __future__ import annotations

from data.synthetic.grammar import FrameTable
from data.synthetic.interests.base import InterestSpec

_DISHES = """
lasagna | ricotta, mozzarella, lasagna noodles, ground beef, marinara | italian | bake
tacos | tortillas, ground beef, cilantro, salsa, shredded cheese | mexican | cook
chicken curry | coconut milk, curry paste, chicken thighs, basmati rice | thai | simmer
banana bread | ripe bananas, baking soda, walnuts, brown sugar | baking | bake
pancakes | buttermilk, maple syrup, eggs, blueberries | breakfast | cook
chili | kidney beans, ground beef, chili powder, diced tomatoes | comfort food | simmer
sourdough bread | sourdough starter, bread flour, sea salt | baking | bake
pad thai | rice noodles, tamarind paste, peanuts, bean sprouts, fish sauce | thai | stir fry
mac and cheese | elbow pasta, cheddar, gruyere, breadcrumbs | comfort food | bake
guacamole | avocados, limes, cilantro, red onion, jalapenos | mexican | make
pesto pasta | basil, pine nuts, parmesan, garlic, spaghetti | italian | cook
beef stew | chuck roast, carrots, potatoes, beef broth, red wine | comfort food | simmer
chicken soup | chicken breasts, celery, egg noodles, chicken broth | comfort food | simmer
fried rice | day old rice, soy sauce, frozen peas, scallions, eggs | chinese | stir fry
brownies | cocoa powder, chocolate chips, butter, eggs | baking | bake
risotto | arborio rice, parmesan, white wine, mushrooms | italian | cook
shakshuka | eggs, canned tomatoes, feta, paprika | middle eastern | cook
hummus | chickpeas, tahini, lemons, garlic | middle eastern | make
ramen | ramen noodles, miso paste, soft boiled eggs, pork belly | japanese | cook
sushi bowls | sushi rice, salmon, nori, rice vinegar, cucumber | japanese | make
pizza | pizza dough, mozzarella, pepperoni, tomato sauce | italian | bake
apple pie | granny smith apples, cinnamon, pie crust | baking | bake
burgers | ground beef, burger buns, pickles, cheddar | american | grill
enchiladas | corn tortillas, enchilada sauce, black beans, monterey jack | mexican | bake
stir fry | broccoli, soy sauce, ginger, snap peas, tofu | chinese | stir fry
meatballs | ground pork, breadcrumbs, parmesan, marinara | italian | bake
chocolate chip cookies | chocolate chips, brown sugar, vanilla extract, butter | baking | bake
lentil soup | red lentils, cumin, carrots, vegetable broth | vegetarian | simmer
butter chicken | garam masala, heavy cream, chicken thighs, naan | indian | simmer
dal | yellow lentils, turmeric, ghee, mustard seeds | indian | simmer
greek salad | feta, kalamata olives, cucumber, cherry tomatoes | greek | make
carbonara | pancetta, pecorino, egg yolks, spaghetti | italian | cook
french toast | brioche, eggs, cinnamon, maple syrup | breakfast | cook
pulled pork | pork shoulder, bbq sauce, coleslaw, brioche buns | american | slow cook
tuna casserole | canned tuna, cream of mushroom, egg noodles, frozen peas | comfort food | bake
quiche | pie crust, gruyere, spinach, heavy cream | french | bake
paella | saffron, chorizo, shrimp, bomba rice | spanish | cook
fish tacos | cod, cabbage, lime crema, tortillas | mexican | cook
veggie lasagna | zucchini, ricotta, spinach, lasagna noodles | vegetarian | bake
overnight oats | rolled oats, chia seeds, almond milk, berries | breakfast | make
"""

_COOKING_RULES = {
    "query": [
        ("how to make {dish.name}", 3),
        "how to make {dish.name} without {dish.ingredient}",
        "{dish.name} recipe (with|without|no) {dish.ingredient}",
        "easy {dish.name} recipe",
        "can i (substitute|replace|use something instead of) {dish.ingredient} in {dish.name}",
        "how long to {dish.method} {dish.name}",
        "how long to {dish.method} {dish.name} at {oven_temp}",
        "{best} {dish.cuisine} (restaurant|food|takeout) {near_me}",
        "what to serve with {dish.name}",
        "easy {dish.cuisine} recipes for {occasion}",
        "how many calories in {dish.name}",
        "can you freeze {dish.name}",
        "how to store {dish.ingredient}",
        "{dish.name} (for|serves) {small_number} people",
        "what is a good substitute for {dish.ingredient}",
        "{dish.ingredient} (near me|on sale|price)",
        "is {dish.name} (healthy|gluten free|vegan)",
    ],
    "chat": [
        ("i'm making {dish.name} {when}, do we (still have|have any) {dish.ingredient}?", 4),
        "can you grab {dish.ingredient} on your way home? (i'm|we're) doing {dish.name}",
        "what do you want for dinner? i was thinking {dish.name}",
        "{dish.name} turned out {verdict}{closer}",
        "{@friend} is coming over {when}, making {dish.name}, do they eat {dish.ingredient}?",
        "we're out of {dish.ingredient} so no {dish.name} {when} {laugh}",
        "(can i borrow|send me) your {dish.name} recipe? mine needs more {dish.ingredient}",
        "just put the {dish.name} in the oven, (ready|done) in {minutes} minutes",
        "(don't|do not) forget the {dish.ingredient} for the {dish.name}!",
        "i'll bring {dish.name} to {@friend}'s {when}",
        "who ate all the {dish.name}{closer}",
        "craving {dish.name} so bad rn",
        "(want to|wanna) get {dish.cuisine} food {when}?",
        "the {dish.name} needs more {dish.ingredient} honestly",
    ],
    "oven_temp": ["350", "375", "400", "425", "180 degrees", "200 degrees"],
    "occasion": ["dinner", "a party", "meal prep", "kids", "two", "a crowd", "beginners"],
    "verdict": ["so good", "amazing", "kinda dry", "a little burnt", "perfect", "way too salty"],
    "minutes": ["10", "15", "20", "25", "30", "40", "45"],
}

_ACTIVITIES = """
soccer | shin guards, cleats, water bottle, soccer ball | practice, game | the field
swim | goggles, swim cap, towel, flip flops | lessons, meet | the pool
ballet | ballet shoes, leotard, tights, hair ties | class, recital | the studio
piano | sheet music, practice book | lessons, recital | the music school
basketball | sneakers, basketball, knee pads | practice, game | the gym
karate | uniform, belt, mouth guard | class, belt test | the dojo
art | sketchbook, paint set, apron, markers | class, show | the art center
scouts | badge sash, flashlight, sleeping bag | meeting, camping trip | the community center
hockey | skates, helmet, stick tape, mouth guard | practice, tournament | the rink
gymnastics | leotard, grips, hair ties | practice, meet | the gym
theater | script, costume, makeup kit | rehearsal, show | the auditorium
chess | chess clock, notebook | club, tournament | the library
"""

_PARENTING_RULES = {
    "query": [
        ("{age_topic} (for a|in a) {kid_age} year old", 3),
        "how to get (a toddler|my toddler|kids) to {toddler_goal}",
        "{activity.name} (lessons|classes|camp) for kids {near_me}",
        ("what {activity.gear} (do kids need|to buy) for {activity.name}", 2),
        "{best} {activity.gear} for kids",
        "kids {activity.gear} size chart",
        "is it normal for a {kid_age} year old to {kid_behavior}",
        "fun things to do with kids {when} {near_me}",
        "{kid_illness} in (kids|toddlers) when to see a doctor",
        "(summer|spring break) camps {near_me}",
        "easy lunch ideas for (kids|picky eaters)",
        "how much screen time for a {kid_age} year old",
    ],
    "chat": [
        (
            "{@kid} has {activity.name} {activity.event} {when}, did you pack the {activity.gear}?",
            4,
        ),
        "can you pick up {@kid} from {activity.name} {at_time}? it's at {activity.place}",
        "{@kid} forgot (her|his|their) {activity.gear} again {laugh}",
        "(who's|who is) driving {@kid} to {activity.name} {activity.event} {when}?",
        "{@kid} (has|woke up with) a {kid_illness}, staying home {when}",
        "{@kid} won't {toddler_goal} tonight, send help",
        "{@kid}'s {activity.name} {activity.event} got moved to {day} {at_time}",
        "{hi}, is {@kid} still coming to the playdate {when}?",
        "(need|remind me) to sign {@kid} up for {activity.name} before {day}",
        "{@kid} said the funniest thing today {laugh}",
        "parent teacher conference is {when} {at_time}, can you make it?",
        "do we need to bring snacks for {activity.name} {activity.event}?",
    ],
    "kid_age": ["2", "3", "4", "5", "6", "7", "8", "10", "12", "two", "three", "four"],
    "age_topic": [
        "best books",
        "good toys",
        "chores",
        "bedtime",
        "gift ideas",
        "activities",
        "how much sleep",
        "allowance",
    ],
    "toddler_goal": [
        "sleep through the night",
        "eat vegetables",
        "brush their teeth",
        "stop biting",
        "go to bed",
        "potty train",
        "share toys",
        "put shoes on",
    ],
    "kid_behavior": [
        "still wet the bed",
        "not talk much",
        "have tantrums",
        "be scared of the dark",
    ],
    "kid_illness": ["fever", "cough", "ear infection", "stomach bug", "rash", "sore throat"],
}

_STORES = """
target | paper towels, laundry detergent, a phone charger, throw pillows, birthday cards | target
costco | paper towels, rotisserie chicken, olive oil, a big pack of water | costco
ikea | a bookshelf, picture frames, storage bins, a desk lamp, meatballs | ikea
home depot | light bulbs, paint, a drill, potting soil, a hose | home depot
trader joe's | frozen dumplings, flowers, dark chocolate, cold brew | trader joe's
whole foods | oat milk, kombucha, salmon, organic berries | whole foods
walmart | printer ink, a shower curtain, batteries, a fan | walmart
best buy | headphones, an hdmi cable, a keyboard, a smart tv | best buy
the pharmacy | allergy meds, sunscreen, vitamins, cough drops | the pharmacy
the farmers market | peaches, sourdough, honey, fresh eggs | the farmers market
old navy | jeans, flip flops, a rain jacket, kids pajamas | old navy
amazon | a phone case, an air fryer, a yoga mat, packing tape | amazon
"""

_SHOPPING_RULES = {
    "query": [
        ("{store.name} {store.product}", 2),
        "{best} {product_plain} (under|for less than) {price}",
        "is {store.name} open (today|on sunday|late|right now)",
        "{store.name} hours {near_me}",
        "{product_plain} (on sale|deals|coupon|discount code)",
        "(where to buy|where can i buy) {product_plain} {near_me}",
        "{store.name} return policy",
        "{product_plain} (reviews|vs|size guide)",
        "black friday {product_plain} deals",
        "does {store.name} (price match|deliver|have curbside pickup)",
    ],
    "chat": [
        ("i'm at {store.name}, (need|want) anything? they have {store.product} on sale", 4),
        "can you grab {store.product} if you're going to {store.name}?",
        "{store.name} was out of {store.product} again, ugh",
        "found {store.product} at {store.name} for {price}!",
        "(heading|going) to {store.name} {when}, want to come?",
        "returned the {product_plain}, they gave me store credit",
        "our order from {store.name} (came|arrived|is finally here)",
        "(should i|do you think i should) get the {product_plain} or wait for a sale?",
        "do we need {store.product}? i'm near {store.name}",
    ],
    "product_plain": [
        "air fryer",
        "vacuum",
        "mattress",
        "running shoes",
        "winter coat",
        "backpack",
        "coffee maker",
        "blender",
        "couch",
        "desk chair",
        "rain boots",
        "stroller",
        "car seat",
        "suitcase",
        "instant pot",
        "rug",
        "dining table",
        "headphones",
        "sunglasses",
        "hiking boots",
        "dress",
        "sneakers",
    ],
}

_BILLS = """
rent | the landlord | the 1st | late again
the electric bill | the power company | the 15th | higher than usual
the phone bill | the carrier | the 20th | wrong again
the car payment | the bank | the 5th | going up
the credit card | the card company | the 28th | maxed out
the internet bill | the cable company | the 10th | up again
the water bill | the city | the end of the month | way too high
student loans | the loan servicer | the 1st | due again
"""

_GOALS = """
a house | a down payment, closing costs | by 2028, in 3 years | a hysa
a new car | the down payment, a used car | by summer, next year | a cd
our wedding | the venue, the deposit | by next june, in 18 months | a savings account
a trip to japan | flights, the jr pass | by fall, in 6 months | a travel card
an emergency fund | 3 months of rent, 6 months of expenses | this year, by december | a hysa
retirement | the roth ira, the 401k match | by 40, long term | index funds
a new laptop | the macbook, a gaming pc | by christmas, next month | a sinking fund
"""

_MONEY_RULES = {
    "query": [
        ("how to (pay off|pay down|consolidate) {debt} (fast|faster)", 2),
        ("how much to save (each|per) (month|week|paycheck) for {goal.name} {goal.when}", 3),
        "is {goal.account} (good|safe|worth it) for saving for {goal.cost}",
        "how to budget on {salary} a year (in|near) {@town}",
        "{salary} a year is how much (an hour|a month|after taxes)",
        "best (high yield savings account|credit card for travel|budgeting app) {year}",
        "how much should i (save|have in savings|spend on rent) (at|by) {adult_age}",
        "roth ira vs 401k",
        "how to (start|build) an emergency fund",
        "when are taxes due {year}",
        "how to dispute a charge on {bill.name}",
        "what happens if i pay {bill.name} late",
        ("is it bad to pay {bill.name} after {bill.due}", 2),
        "how to (negotiate|lower) {bill.name} with {bill.who}",
        "is {bill.name} (tax deductible|negotiable)",
        "(mortgage|car loan|personal loan) rates {year}",
        "how to split bills with roommates",
        "index funds for beginners",
        "how to raise my credit score by {points} points",
    ],
    "chat": [
        ("did you pay {bill.name}? it's due {bill.due}", 4),
        "{bill.name} is {bill.issue} this month, should i call {bill.who}?",
        "i venmo'd you {price} for {split_thing}",
        "(can you|could you) send me your half of {bill.name} by {bill.due}?",
        "(just|finally) paid off the credit card {laugh}",
        "we need to stop ordering takeout, {budget_fact}",
        "(i|we) spent way too much at {spend_place} this month",
        "reminder: {bill.name} (is due|goes out) {bill.due}",
        "payday {when} thank god",
        ("(we're|i'm) saving for {goal.name}, so no {splurge} {when} {laugh}", 3),
        (
            "put {price} toward {goal.cost} (today|this month), {goal.name} {goal.when}!",
            2,
        ),
        "should we put the tax refund toward {goal.cost} or {debt}?",
        "did {bill.who} ever (call back|send the refund) about {bill.name}?",
    ],
    "salary": ["40k", "50k", "60k", "75k", "80k", "100k", "120k", "$45,000", "$65,000"],
    "splurge": ["takeout", "new shoes", "concerts", "amazon orders", "fancy coffee", "uber eats"],
    "debt": ["credit card debt", "student loans", "a car loan", "medical debt", "my mortgage"],
    "year": ["2026", "this year", "2025"],
    "adult_age": ["25", "30", "35", "40", "50"],
    "points": ["50", "100"],
    "split_thing": ["dinner", "the tickets", "groceries", "the uber", "the airbnb", "pizza"],
    "budget_fact": [
        "we spent {price} last week",
        "the budget is blown",
        "rent went up",
        "payday isn't till friday",
    ],
    "spend_place": ["target", "amazon", "restaurants", "coffee", "the grocery store", "gas"],
}


def cooking() -> InterestSpec:
    """Recipes, groceries and dinner plans; the dish decides the ingredient."""
    frames = {"dish": FrameTable.parse(_DISHES, ("name", "ingredient", "cuisine", "method"))}
    return InterestSpec("cooking", _COOKING_RULES, frames)


def parenting() -> InterestSpec:
    """Kids' activities, sickness and logistics; the activity decides gear and place."""
    frames = {"activity": FrameTable.parse(_ACTIVITIES, ("name", "gear", "event", "place"))}
    return InterestSpec("parenting", _PARENTING_RULES, frames)


def shopping() -> InterestSpec:
    """Stores, deals and errands; the store decides the product."""
    frames = {"store": FrameTable.parse(_STORES, ("name", "product", "alias"))}
    return InterestSpec("shopping", _SHOPPING_RULES, frames)


def money() -> InterestSpec:
    """Bills, budgets and saving; the bill decides the due date, the goal what it costs."""
    frames = {
        "bill": FrameTable.parse(_BILLS, ("name", "who", "due", "issue")),
        "goal": FrameTable.parse(_GOALS, ("name", "cost", "when", "account")),
    }
    return InterestSpec("money", _MONEY_RULES, frames)
