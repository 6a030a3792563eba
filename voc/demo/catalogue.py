"""The demo CRM's catalogue: categories with their department, volume, season, raw types and wording."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

_ROADS = "Roads & Drainage"
_TRAFFIC = "Traffic Operations"
_CODE = "Code Enforcement"
_WASTE = "Solid Waste"
_UTILITIES = "Utilities"
_MOSQUITO = "Mosquito Control"
_ANIMALS = "Animal Services"
_PARKS = "Parks & Recreation"
_LIBRARIES = "Libraries"
_BUILDING = "Building & Permits"
_CUSTOMER = "Customer Service"
_SHERIFF = "Sheriff (non-emergency)"

# Monthly multipliers, January first, each averaging about 1.
SEASONS: dict[str, tuple[float, ...]] = {
    "flat": (1.0,) * 12,
    "rainy": (0.6, 0.55, 0.6, 0.7, 0.9, 1.6, 1.9, 1.9, 1.7, 1.0, 0.7, 0.6),
    "rainy_mild": (0.85, 0.85, 0.85, 0.9, 0.95, 1.15, 1.25, 1.25, 1.2, 1.0, 0.9, 0.85),
    "summer": (0.75, 0.75, 0.85, 1.0, 1.1, 1.4, 1.45, 1.25, 0.95, 0.85, 0.8, 0.85),
    "growing": (0.7, 0.7, 0.85, 1.0, 1.15, 1.3, 1.3, 1.3, 1.25, 1.1, 0.8, 0.7),
    "holiday": (1.25, 0.95, 0.95, 0.95, 0.95, 1.0, 1.0, 1.0, 0.95, 0.95, 1.05, 1.3),
    "spring": (0.85, 0.95, 1.2, 1.3, 1.2, 1.0, 0.95, 0.95, 0.9, 0.9, 0.9, 0.9),
    "winter": (1.2, 1.15, 1.0, 0.9, 0.85, 0.85, 0.85, 0.9, 0.95, 1.05, 1.15, 1.2),
}

WHERE = (
    "near the elementary school",
    "in front of my house",
    "at the entrance to the subdivision",
    "across from the park",
    "by the church on the corner",
    "next to the bus stop",
    "near the Publix plaza",
    "on the curve past the bridge",
    "behind the shopping center",
    "at the end of the cul-de-sac",
    "by the mailbox cluster",
    "near the fire station",
)


@dataclass(frozen=True)
class Category:
    name: str
    department: str
    monthly: float  # county-wide contacts a month at the start, before seasonality
    season: str
    days: float  # median days to close
    raw_types: tuple[tuple[str, str], ...]  # (raw CRM type, contact type); the first is commoner
    templates: tuple[str, ...]  # "{where}" is filled from WHERE
    storm: float = 0.0  # extra contacts in the hurricane month, as a multiple of the usual


# fmt: off
CATEGORIES: tuple[Category, ...] = (
    Category("Potholes", _ROADS, 260, "rainy_mild", 4,
              (("POTHOLE REPAIR", "request"), ("ROAD SURFACE DAMAGE", "request")),
              ("Large pothole {where}", "Deep pothole in the eastbound lane {where}",
               "Road surface breaking up {where}, tires getting damaged")),
    Category("Flooding / standing water", _ROADS, 110, "rainy", 9,
              (("FLOODING", "complaint"), ("STANDING WATER", "request")),
              ("Street flooded {where}, water up to the curb", "Standing water for days {where}",
               "Yard flooding from the road {where}"), storm=3.0),
    Category("Drainage ditch / culvert", _ROADS, 85, "rainy", 20,
              (("DITCH MAINTENANCE", "request"), ("CULVERT BLOCKED", "request")),
              ("Ditch overgrown and not draining {where}",
               "Culvert blocked with debris {where}"), storm=1.5),
    Category("Sidewalk repair", _ROADS, 60, "flat", 30,
              (("SIDEWALK REPAIR", "request"),),
              ("Cracked and raised sidewalk {where}", "Trip hazard on the sidewalk {where}")),
    Category("Right-of-way mowing", _ROADS, 95, "growing", 12,
              (("ROW MOWING", "request"),),
              ("Grass in the median is knee high {where}", "Right-of-way needs mowing {where}")),
    Category("Downed trees / limbs", _ROADS, 75, "rainy_mild", 6,
              (("TREE DOWN", "request"), ("TREE TRIMMING ROW", "request")),
              ("Tree down across the road {where}", "Large limb hanging over the road {where}",
               "Branches blocking the stop sign {where}"), storm=6.0),
    Category("Traffic signal malfunction", _TRAFFIC, 65, "rainy_mild", 1,
              (("SIGNAL MALFUNCTION", "request"),),
              ("Traffic light stuck on red {where}",
               "Signal flashing all directions {where}"), storm=4.0),
    Category("Streetlight out", _TRAFFIC, 120, "winter", 14,
              (("STREETLIGHT OUT", "request"),),
              ("Streetlight out {where}",
               "Several streetlights dark {where}, very unsafe at night"), storm=1.0),
    Category("Traffic signs", _TRAFFIC, 70, "flat", 7,
              (("SIGN DAMAGED/MISSING", "request"),),
              ("Stop sign knocked down {where}", "Speed limit sign missing {where}")),
    Category("Speeding / traffic calming", _TRAFFIC, 45, "flat", 45,
              (("TRAFFIC CALMING REQUEST", "complaint"),),
              ("Cars speeding {where}, please add speed humps",
               "Requesting a traffic study {where}")),
    Category("Overgrown lots", _CODE, 130, "growing", 28,
              (("OVERGROWN LOT", "complaint"),),
              ("Vacant lot overgrown with weeds {where}",
               "Neighbor's yard not mowed in months {where}")),
    Category("Junk vehicles", _CODE, 65, "flat", 21,
              (("ABANDONED/JUNK VEHICLE", "complaint"),),
              ("Junk car on blocks in the driveway {where}", "Abandoned boat trailer {where}")),
    Category("Illegal dumping", _CODE, 95, "flat", 10,
              (("ILLEGAL DUMPING", "complaint"),),
              ("Mattresses and tires dumped {where}",
               "Pile of construction debris dumped {where}")),
    Category("Unpermitted construction", _CODE, 55, "flat", 35,
              (("WORK WITHOUT PERMIT", "complaint"),),
              ("Addition being built without a permit {where}",
               "Contractor working without a permit {where}")),
    Category("Noise", _CODE, 85, "summer", 7,
              (("NOISE COMPLAINT", "complaint"),),
              ("Loud music every night {where}", "Construction noise before 7am {where}")),
    Category("Property maintenance", _CODE, 70, "flat", 30,
              (("PROPERTY MAINTENANCE", "complaint"), ("SUBSTANDARD HOUSING", "complaint")),
              ("Roof tarp falling apart {where}", "Rental home with broken windows {where}")),
    Category("Missed garbage pickup", _WASTE, 350, "holiday", 2,
              (("MISSED COLLECTION", "request"),),
              ("Garbage not picked up this week {where}",
               "Truck skipped our street again {where}"), storm=0.6),
    Category("Bulk / yard waste pickup", _WASTE, 220, "spring", 5,
              (("BULK PICKUP REQUEST", "request"), ("YARD WASTE", "request")),
              ("Need a bulk pickup for an old couch",
               "Yard waste bags left at the curb {where}"), storm=1.0),
    Category("Storm debris pickup", _WASTE, 15, "rainy_mild", 20,
              (("STORM DEBRIS", "request"),),
              ("Storm debris pile at the curb {where}",
               "Fallen branches stacked at the road {where}"), storm=60.0),
    Category("Garbage carts", _WASTE, 160, "flat", 6,
              (("CART REPAIR/REPLACE", "request"),),
              ("Garbage cart lid broken", "Cart stolen, need a replacement")),
    Category("Recycling questions", _WASTE, 70, "holiday", 1,
              (("RECYCLING QUESTION", "question"),),
              ("Is glass accepted in the recycling cart?", "When is recycling day on my street?")),
    Category("Water leak / main break", _UTILITIES, 130, "winter", 2,
              (("WATER MAIN BREAK", "request"), ("WATER LEAK", "request")),
              ("Water gushing from the road {where}", "Leak at the meter box {where}")),
    Category("Low water pressure", _UTILITIES, 55, "summer", 4,
              (("LOW PRESSURE", "complaint"),),
              ("Very low water pressure this week", "No water pressure in the mornings")),
    Category("Sewer backup / odor", _UTILITIES, 65, "rainy", 2,
              (("SEWER BACKUP", "request"), ("SEWER ODOR", "complaint")),
              ("Sewer backing up into the yard {where}", "Strong sewer smell {where}"), storm=1.5),
    Category("Utility billing", _UTILITIES, 320, "flat", 3,
              (("BILLING INQUIRY", "question"), ("HIGH BILL DISPUTE", "complaint")),
              ("Question about my water bill",
               "Bill doubled this month, I think the meter is wrong")),
    Category("Water quality", _UTILITIES, 35, "summer", 5,
              (("WATER QUALITY", "complaint"),),
              ("Tap water is brown", "Water smells like chlorine")),
    Category("Mosquito spraying", _MOSQUITO, 110, "rainy", 4,
              (("MOSQUITO SPRAY REQUEST", "request"),),
              ("Mosquitoes terrible {where}, please spray",
               "Swarms of mosquitoes at dusk {where}")),
    Category("Mosquito breeding sites", _MOSQUITO, 35, "rainy", 7,
              (("MOSQUITO BREEDING SITE", "request"),),
              ("Abandoned pool full of larvae {where}", "Old tires holding water {where}")),
    Category("Stray animals", _ANIMALS, 150, "flat", 3,
              (("STRAY ANIMAL", "request"), ("LOOSE DOG", "complaint")),
              ("Loose dog running in traffic {where}", "Stray cats {where}")),
    Category("Animal bites / aggressive animals", _ANIMALS, 35, "summer", 5,
              (("ANIMAL BITE", "request"),),
              ("Dog bit my child {where}", "Aggressive dog charging walkers {where}")),
    Category("Dead animal removal", _ANIMALS, 55, "summer", 2,
              (("DEAD ANIMAL ROW", "request"),),
              ("Dead deer on the shoulder {where}", "Dead armadillo in the road {where}")),
    Category("Barking dogs", _ANIMALS, 45, "flat", 14,
              (("BARKING DOG", "complaint"),),
              ("Dog barking all day {where}", "Neighbor's dogs bark all night")),
    Category("Park maintenance", _PARKS, 75, "summer", 8,
              (("PARK MAINTENANCE", "request"),),
              ("Broken swing at the playground", "Restrooms at the park are locked and dirty")),
    Category("Pools & splash pads", _PARKS, 30, "summer", 4,
              (("POOL ISSUE", "request"),),
              ("Splash pad not working", "Pool closed during posted hours")),
    Category("Programs & reservations", _PARKS, 90, "summer", 1,
              (("PAVILION RESERVATION", "question"), ("REC PROGRAM QUESTION", "question")),
              ("How do I reserve a pavilion for a birthday?",
               "When does summer camp sign-up open?")),
    Category("Boat ramps & beaches", _PARKS, 30, "summer", 9,
              (("BOAT RAMP / BEACH ISSUE", "request"),),
              ("Boat ramp dock boards broken", "Trash overflowing at the beach park")),
    Category("Library services", _LIBRARIES, 100, "summer", 1,
              (("LIBRARY CARD/ACCOUNT", "question"), ("LIBRARY QUESTION", "question")),
              ("How do I renew my library card?", "Can I reserve a study room?")),
    Category("Permit status", _BUILDING, 220, "flat", 2,
              (("PERMIT STATUS INQUIRY", "question"),),
              ("What is the status of my roof permit?", "Permit application stuck in review")),
    Category("Inspection scheduling", _BUILDING, 125, "flat", 3,
              (("INSPECTION REQUEST", "request"),),
              ("Need to schedule a final inspection",
               "Inspector did not show up for the inspection")),
    Category("General questions", _CUSTOMER, 430, "flat", 0.3,
              (("GENERAL INFORMATION", "question"),),
              ("Which office handles property taxes?", "What are the county office hours?",
               "How do I contact my commissioner?"), storm=0.8),
    Category("Staff feedback", _CUSTOMER, 40, "flat", 10,
              (("COMPLIMENT/COMPLAINT STAFF", "complaint"),),
              ("Rude response from staff at the counter",
               "Thank you to the crew that fixed our road")),
    Category("Parking violations", _SHERIFF, 60, "flat", 3,
              (("PARKING VIOLATION", "complaint"),),
              ("Cars parked on the sidewalk {where}", "RV parked on the street for weeks {where}")),
)
# fmt: on


def request_types() -> pd.DataFrame:
    """List the CRM's raw request types with the category, department and contact type each maps to."""
    rows = [(raw, cat.name, cat.department, kind) for cat in CATEGORIES for raw, kind in cat.raw_types]
    return pd.DataFrame(rows, columns=["raw_type", "category", "department", "contact_type"])
