"""The pools generated people are drawn from (training data, not logic).

First names from many languages and scripts (with and without diacritics),
last names, the titles and sites of her old content, and what she does now
(show, employer, city, team). ``synth`` splits the name pools by a fixed hash
into a training part and a held-out part.
"""

from __future__ import annotations

FIRST = (  # noqa: SIM905 - one readable block of names per region
    # English / Irish / Scottish
    "Emily Jessica Ashley Megan Brooke Kayla Heather Tiffany Amber Chelsea Courtney Hannah Lauren "
    "Molly "
    "Siobhan Niamh Aoife Caitlin Fiona Kirsty Shannon Tara Holly Jade Chloe Paige Summer Skye "
    "Riley Morgan "
    # Spanish / Latin American
    "Sofía Valentina Camila Ximena Guadalupe María Carmen Paloma Itzel Yesenia Marisol Rocío Nerea "
    "Ainhoa "
    "Daniela Fernanda Luz Pilar Inés Begoña Araceli Maite "
    # Portuguese / Brazilian
    "Beatriz Giovanna Letícia Raíssa Júlia Larissa Yasmin Luana Conceição Mariana "
    # French / Belgian / Québécois
    "Élodie Chloé Océane Noémie Anaïs Manon Margaux Solène Gaëlle Léa Camille Héloïse Amélie "
    # German / Austrian / Swiss / Dutch / Nordic
    "Jana Lena Annika Svenja Mareike Jördis Katharina Sanne Femke Lieke Astrid Åsa Sigrid Ingrid "
    "Maja Linnéa "
    "Freja Sørine Saara Aino "
    # Italian / Greek / Maltese
    "Giulia Chiara Francesca Ilaria Noemi Martina Federica Eleni Despoina Katerina "
    # Slavic / Baltic / Hungarian / Romanian
    "Zuzana Kateřina Małgorzata Agnieszka Żaneta Jelena Milica Ivana Anastasia Olena Dominika "
    "Zsófia "
    "Réka Ioana Andreea Roxana Liepa Ieva "
    # Turkish / Arabic / Persian / Kurdish
    "Elif Zeynep Büşra Aylin Ayşe Leila Yasmin Fatima Nour Rania Amira Layla Salma Yara Dalia "
    "Shirin Nasrin "
    "Mahsa Roya Hêvî "
    # South / South-East / East Asian
    "Priya Ananya Kavya Deepika Nisha Meera Sanjana Aditi Thu Linh Ngọc Mai Hương Siti Nurul Ayu "
    "Dewi "
    "Malaya Rosalinda Jia Mei Xiaoling Yuki Haruka Aiko Sakura Ji-woo Seo-yeon Min-ji "
    # African / Caribbean / African-American
    "Amara Chiamaka Ngozi Adaeze Folake Yetunde Wanjiru Akosua Nia Imani Aaliyah Keisha Tanisha "
    "Zola Thandiwe "
    "Nomvula Fatoumata Aminata Awa "
    # Hebrew / Armenian / Georgian / Indigenous / other
    "Noa Tamar Shira Anahit Nino Tala Aiyana Kalani Leilani Mahina"
).split()

LAST = [
    "Miller",
    "Sullivan",
    "O'Connor",
    "McKenzie",
    "Whitaker",
    "Thornton",
    "Blake",
    "Harper",
    "Lawson",
    "García",
    "Hernández",
    "Martínez",
    "Núñez",
    "Ibáñez",
    "Peña",
    "Castañeda",
    "Echeverría",
    "Villanueva",
    "Quiroga",
    "Olmedo",
    "Zúñiga",
    "Gonçalves",
    "Magalhães",
    "Conceição",
    "Araújo",
    "Simões",
    "Lobato",
    "Brandão",
    "Sampaio",
    "Lefèvre",
    "Dubois",
    "Bérubé",
    "Lambert",
    "Giraud",
    "Chevalier",
    "Mercier",
    "Roussel",
    "Béranger",
    "Müller",
    "Schäfer",
    "Köhler",
    "Weiß",
    "Brandt",
    "Vogel",
    "Jansen",
    "de",
    "Vries",
    "van",
    "Dijk",
    "Bakker",
    "Lindqvist",
    "Håkansson",
    "Nørgaard",
    "Virtanen",
    "Rossi",
    "Esposito",
    "Bianchi",
    "Ferrara",
    "Lombardi",
    "De",
    "Luca",
    "Papadopoulou",
    "Georgiou",
    "Vella",
    "Nováková",
    "Dvořáková",
    "Kowalska",
    "Wiśniewska",
    "Jovanović",
    "Petrović",
    "Kovalenko",
    "Ivanova",
    "Szabó",
    "Nagy",
    "Popescu",
    "Ionescu",
    "Kazlauskaitė",
    "Bērziņa",
    "Yılmaz",
    "Öztürk",
    "Demir",
    "Şahin",
    "Haddad",
    "Khalil",
    "Mansour",
    "Nasser",
    "El-Amin",
    "Benali",
    "Rahimi",
    "Karimi",
    "Hosseini",
    "Sharma",
    "Iyer",
    "Reddy",
    "Banerjee",
    "Kapoor",
    "Nair",
    "Nguyễn",
    "Trần",
    "Phạm",
    "Santoso",
    "Wijaya",
    "Dela",
    "Cruz",
    "Bautista",
    "Wang",
    "Chen",
    "Liu",
    "Zhang",
    "Tanaka",
    "Sato",
    "Nakamura",
    "Park",
    "Choi",
    "Okafor",
    "Adeyemi",
    "Nwosu",
    "Mensah",
    "Boateng",
    "Kamau",
    "Otieno",
    "Diallo",
    "Traoré",
    "Ndlovu",
    "Dlamini",
    "Mokoena",
    "Baptiste",
    "Jean-Pierre",
    "Cohen",
    "Levi",
    "Mizrahi",
    "Hakobyan",
    "Beridze",
    "Tsosie",
    "Kahananui",
]

# A few first names written in their own script, so the model also sees names it cannot spell.
FIRST_SCRIPT = ("ليلى", "سلمى", "نور", "Аня", "Ольга", "Ελένη", "美玲", "さくら", "지우", "दीपिका")

TITLE_SCENES = (
    "Casting Couch",
    "First Time",
    "Backstage Pass",
    "Poolside Secrets",
    "Private Session",
    "Summer Heat",
    "Late Night Special",
    "Road Trip",
    "Office After Hours",
    "Beach House",
    "Noche Loca",
    "Sommernacht",
    "Notte Bollente",
    "Spring Break Uncut",
    "Girls Weekend",
    "Webcam Confessions",
    "Audition Tape",
    "Sauna Story",
    "Hot Tub Party",
    "Tokyo Nights",
    "Sweet Sixteen Candles",
    "Midnight Massage",
    "Yoga Lessons",
    "Pool Party",
    "Kitchen Fun",
    "Bad Teacher",
)
TITLE_FORMS = (
    "{first} - {scene}",
    "{name} - {scene}",
    "{scene}",
    "{scene} Vol. {n}",
    "{first}'s {scene}",
    "{scene}: {first}",
    "{first} {scene} {n}",
    "{scene} with {first}",
    "{first} Returns",
    "{first} y sus amigas Vol. {n}",
)
SITE_WORDS = (
    "tube",
    "hub",
    "vids",
    "clips",
    "xxx",
    "hot",
    "leak",
    "nude",
    "free",
    "hd",
    "flix",
    "cams",
    "mega",
    "fap",
    "porno",
    "stream",
)
TLDS = ("com", "net", "xyz", "tv", "to", "cc", "site", "top", "club", "org", "io")
# What she does now: her show, employer, city and team, for {show} {employer} {city} {team}.
SHOWS = (
    "Morning Drive",
    "The Final Whistle",
    "Court Side",
    "Pixel Forge Devlog",
    "Late Shift Live",
    "Kitchen Notes",
    "Tactics Room",
    "Deep Water",
    "The Daily Pulse",
    "Open Mic Nights",
    "Matchday Live",
    "Build Log",
    "Sabores de Casa",
    "La Tertulia",
    "Le Grand Direct",
    "Bate-Bola",
    "Nachtschicht",
    "Il Salotto",
    "Code & Coffee",
    "Studio 9",
    "Weekend Kickoff",
    "Night Owls Radio",
    "Sprout Garden TV",
    "Chess After Dark",
)
EMPLOYERS = (
    "City General Hospital",
    "Northgate Radio",
    "Brightline Games",
    "Riverside Primary School",
    "Metro Sports Network",
    "Harbor Pharmacy",
    "Sunrise Yoga Studio",
    "Lakeside Law Group",
    "Clinica Santa Ana",
    "Radio Sol",
    "Studio Orbit",
    "Greenfield Academy",
    "Channel 5 News",
    "Atlas Logistics",
    "Maple Street Bakery",
    "Blue Fin Aquarium",
)
CITIES = (
    "Leeds",
    "Manchester",
    "Glasgow",
    "Toronto",
    "Calgary",
    "Austin",
    "Denver",
    "Porto",
    "Valencia",
    "Lyon",
    "Hamburg",
    "Rotterdam",
    "Turin",
    "Kraków",
    "Izmir",
    "Cebu",
    "Brisbane",
    "Auckland",
    "Nairobi",
    "Accra",
)
TEAMS = (
    "City Rovers",
    "the Harriers",
    "Union Athletic",
    "the Falcons",
    "Real Norte",
    "the Mariners",
    "Sporting Sul",
    "the Comets",
    "FC Lindenau",
    "the Wolves",
)
HANDLE_SUFFIX = ("", "", "", "_", "x", "official", "real", "xo", "tv", "_art", "bakes", "pod")
