"""Street vocabulary for address detection: street types (USPS suffixes and their common
abbreviations, UK forms), European street-name endings and the street-type words that precede
a name in Romance, Slavic and Portuguese addresses; unit, post-box and country words.
Written from postal conventions, not from any evaluation set."""

from __future__ import annotations

STREET_TYPES = """Alley Avenue Ave Ave. Boulevard Blvd Blvd. Causeway Circle Cir Circus Close Court Ct Crescent Cres
Drive Dr Expressway Freeway Highway Hwy Lane Ln Motorway Parkway Pkwy Place Pl Plaza Road Rd Rd. Square Sq Street St
St. Terrace Ter Trail Trl Turnpike Way Mews Wynd Esplanade Promenade Boardwalk Centreway Serviceway Walkway""".split()
"""English street types that are rarely anything else after a house number and a name."""

AMBIGUOUS_TYPES = """Annex Arcade Bayou Beach Bend Bluff Bluffs Bottom Branch Bridge Brook Brooks Burg Burgs Bypass Camp
Canyon Cape Center Centre Cliff Cliffs Club Common Commons Corner Corners Course Courts Cove Coves Creek Crest Crossing
Crossroad Curve Dale Dam Divide Drives Estate Estates Extension Extensions Falls Ferry Field Fields Flat Flats Ford
Fords Forest Forge Forges Fork Forks Fort Garden Gardens Gdns Gate Gateway Glen Glens Green Greens Grove Groves Harbor
Harbour Haven Heights Hill Hills Hollow Inlet Island Islands Isle Junction Junctions Key Keys Knoll Knolls Lake Lakes
Land Landing Light Lights Loaf Lock Locks Lodge Loop Mall Manor Manors Meadow Meadows Mill Mills Mission Mount
Mountain Mountains Neck Orchard Oval Overpass Parade Park Parks Parkways Pass Passage Path Pike Pine Pines Plain Plains
Point Points Port Ports Prairie Quay Radial Ramp Ranch Rapid Rapids Rest Ridge Ridges Rise River Roads Route Row Run
Shoal Shoals Shore Shores Skyway Spring Springs Spur Spurs Station Stravenue Stream Streets Summit Throughway Trace Track
Trafficway Trailer Tunnel Underpass Union Unions Valley Valleys Viaduct View Views Village Villages Ville Vista Walk
Walks Wall Ways Well Wells Wharf Yard Approach Brace Chase Concourse Distributor Edge Fairway Frontage Glade Grange Hub
Interchange Lookout Outlook Quad Quadrant Ramble Reserve Retreat Ridgeway Strip Towers Waters""".split()
"""The other street types (USPS Publication 28 C1, Australian AS 4590): also ordinary words
(``20 Most Common``), so the block around them must confirm the address."""

DISTINCT_ENDINGS = """straße strasse gasse allee platz chaussee gade vej stræde allé plads vænge gatan vägen gränd
torget stigen veien vegen gaten plassen katu kuja polku tanhua bulevardi straat steeg gracht singel dreef utca útja
körút sétány ulica tänav baan""".split()
"""Endings of Germanic, Nordic, Finnic, Dutch, Hungarian and Baltic street names (``Kvarngatan``,
``Kiannonkatu``, ``Parijsstraat``) and the same words standing alone (``Kastrup Allé``): distinct
enough to be read in lower case (``hersnapvej 18``)."""

ENDINGS = DISTINCT_ENDINGS + """str. weg ring pad ská cká ova damm ufer steig pfad markt graben väg backe gata tie raitti väylä kaari
rinne laan plein kade hof út tér sor tee""".split()
"""All endings; the short ones (``tie``, ``hof``, the Czech adjectival ``-ská``/``-ova``) only in
a capitalised word of four letters or more before the ending."""

PREFIXES = """ul. ul al. al pl. os. Rua Avenida Av. Avda. Av Calle C/ Carrer Paseo Camino Carretera Plaza Praça Travessa
Largo Rodovia Estrada Alameda Ladeira Viaduto Vila Sítio Núcleo Feira Aeroporto Vial Callejón Ronda Rambla Cañada
Travesía Carrera Glorieta Pasaje Lagoa Vereda Viela Trecho Setor Quadra Via Viale Piazza Piazzale Corso Vicolo Strada
Stretto Canale Incrocio Rotonda Contrada Borgo Rue Avenue Boulevard Chemin Impasse Allée Place Quai Route Cours
Sentier Rond-point Ulica Aleja Plac Osiedle Ulice Náměstí Nábřeží Třída ulica aleja plac osiedle rue avenue boulevard chemin impasse allée quai
cours""".split()
"""Street types written before the name (``Via Roma 131``, ``ul. Jana 783``, ``rue de Samson``)."""

UNITS = """Apt Apartment Suite Ste Unit Flat Floor Fl Piso Puerta Bldg Building Room Rm Box Dept Level Lot Trailer
Space Stop Slip Pier Hangar Studio Wohnung Etage Stock Appartamento Piano Interno Bloco Casa""".split()
"""Words before a unit number inside an address block."""

COUNTRIES = """Afghanistan Albania Algeria Andorra Angola Argentina Armenia Australia Austria Azerbaijan Bahamas Bahrain
Bangladesh Barbados Belarus Belgium Belize Benin Bhutan Bolivia Bosnia Botswana Brazil Brunei Bulgaria Burundi Cambodia
Cameroon Canada Chad Chile China Colombia Comoros Congo Croatia Cuba Cyprus Czechia Denmark Djibouti Dominica Ecuador
Egypt Eritrea Estonia Eswatini Ethiopia Fiji Finland France Gabon Gambia Georgia Germany Ghana Greece Greenland Grenada
Guatemala Guinea Guyana Haiti Honduras Hungary Iceland India Indonesia Iran Iraq Ireland Israel Italy Jamaica Japan
Jordan Kazakhstan Kenya Kiribati Korea Kosovo Kuwait Kyrgyzstan Laos Latvia Lebanon Lesotho Liberia Libya Liechtenstein
Lithuania Luxembourg Madagascar Malawi Malaysia Maldives Mali Malta Mauritania Mauritius Mexico Micronesia Moldova
Monaco Mongolia Montenegro Morocco Mozambique Myanmar Namibia Nauru Nepal Netherlands Nicaragua Niger Nigeria Norway
Oman Pakistan Palau Panama Paraguay Peru Philippines Poland Portugal Qatar Romania Russia Rwanda Samoa Senegal Serbia
Seychelles Singapore Slovakia Slovenia Somalia Spain Sudan Suriname Sweden Switzerland Syria Taiwan Tajikistan Tanzania
Thailand Togo Tonga Tunisia Turkey Turkmenistan Tuvalu Uganda Ukraine Uruguay Uzbekistan Vanuatu Venezuela Vietnam
Yemen Zambia Zimbabwe USA UK""".split()

NOT_A_PLACE = frozenset("""thanks thank best regards kind please hi hello dear sincerely cheers yours the this that
these those phone tel telephone mobile fax email e-mail website web name note notes subject from to cc re fwd date
and or but if when where what which who how why is are was were will would can could should my our your his her
their its it we you they he she i a an in on at of for with by as about office desk home work contact""".split())
"""First words that end an address block: a greeting or a new field, not a town."""
