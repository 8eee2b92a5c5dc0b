"""Groups of recipients for ``tether atlas matrix``, and country codes for draft forces.

Names are as SIPRI writes them. Membership is as of 2026:

=================  ==========================================================================
group              members
=================  ==========================================================================
``nato-europe``    the 30 European members of NATO (all but Canada and the United States)
``nato``           all 32 members of NATO
``eu``             the 27 members of the European Union
``indo-pacific``   the United States' Indo-Pacific allies and close partners: Australia,
                   Japan, New Zealand, Philippines, Singapore, South Korea, Taiwan, Thailand
``gcc``            the Gulf Cooperation Council: Bahrain, Kuwait, Oman, Qatar, Saudi Arabia,
                   United Arab Emirates
=================  ==========================================================================
"""

from __future__ import annotations

import re

__all__ = ["GROUPS", "HISTORICAL", "iso_code"]

_NATO_EUROPE = (
    "Albania, Belgium, Bulgaria, Croatia, Czechia, Denmark, Estonia, Finland, France, Germany, "
    "Greece, Hungary, Iceland, Italy, Latvia, Lithuania, Luxembourg, Montenegro, Netherlands, "
    "North Macedonia, Norway, Poland, Portugal, Romania, Slovakia, Slovenia, Spain, Sweden, "
    "Turkiye, United Kingdom"
)
_EU = (
    "Austria, Belgium, Bulgaria, Croatia, Cyprus, Czechia, Denmark, Estonia, Finland, France, "
    "Germany, Greece, Hungary, Ireland, Italy, Latvia, Lithuania, Luxembourg, Malta, "
    "Netherlands, Poland, Portugal, Romania, Slovakia, Slovenia, Spain, Sweden"
)


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(","))


#: Named groups of recipients (SIPRI's names), membership as of 2026.
GROUPS: dict[str, tuple[str, ...]] = {
    "nato-europe": _names(_NATO_EUROPE),
    "nato": tuple(sorted((*_names(_NATO_EUROPE), "Canada", "United States"))),
    "eu": _names(_EU),
    "indo-pacific": _names(
        "Australia, Japan, New Zealand, Philippines, Singapore, South Korea, Taiwan, Thailand"
    ),
    "gcc": _names("Bahrain, Kuwait, Oman, Qatar, Saudi Arabia, United Arab Emirates"),
}

#: States that no longer exist; the register keeps them under their own names (the Soviet
#: Union is not Russia). Their codes are ISO 3166-3's former codes.
HISTORICAL: dict[str, str] = {
    "Soviet Union": "SU",
    "Czechoslovakia": "CS",
    "East Germany (GDR)": "DD",
    "Yugoslavia": "YU",
    "North Yemen": "YE-N",
    "South Yemen": "YD",
    "Yemen Arab Republic (North Yemen)": "YE-N",
    "South Vietnam": "VD",
    "Biafra": "biafra",
    "Katanga": "katanga",
}

# SIPRI's names of current states and their ISO 3166-1 alpha-2 codes.
_ISO = """
Afghanistan AF|Albania AL|Algeria DZ|Angola AO|Antigua and Barbuda AG|Argentina AR|Armenia AM|
Aruba AW|Australia AU|Austria AT|Azerbaijan AZ|Bahamas BS|Bahrain BH|Bangladesh BD|
Barbados BB|Belarus BY|Belgium BE|Belize BZ|Benin BJ|Bhutan BT|Bolivia BO|
Bosnia-Herzegovina BA|Botswana BW|Brazil BR|Brunei BN|Bulgaria BG|Burkina Faso BF|Burundi BI|
Cabo Verde CV|Cambodia KH|Cameroon CM|Canada CA|Central African Republic CF|Chad TD|Chile CL|
China CN|Colombia CO|Comoros KM|Congo CG|Costa Rica CR|Cote d'Ivoire CI|Croatia HR|Cuba CU|
Cyprus CY|Czechia CZ|DR Congo CD|Denmark DK|Djibouti DJ|Dominican Republic DO|Ecuador EC|
Egypt EG|El Salvador SV|Equatorial Guinea GQ|Eritrea ER|Estonia EE|Ethiopia ET|Fiji FJ|
Finland FI|France FR|Gabon GA|Gambia GM|Georgia GE|Germany DE|Ghana GH|Greece GR|Grenada GD|
Guatemala GT|Guinea GN|Guinea-Bissau GW|Guyana GY|Haiti HT|Honduras HN|Hungary HU|Iceland IS|
India IN|Indonesia ID|Iran IR|Iraq IQ|Ireland IE|Israel IL|Italy IT|Jamaica JM|Japan JP|
Jordan JO|Kazakhstan KZ|Kenya KE|Kosovo XK|Kuwait KW|Kyrgyzstan KG|Laos LA|Latvia LV|
Lebanon LB|Lesotho LS|Liberia LR|Libya LY|Lithuania LT|Luxembourg LU|Madagascar MG|Malawi MW|
Malaysia MY|Maldives MV|Mali ML|Malta MT|Mauritania MR|Mauritius MU|Mexico MX|Moldova MD|
Mongolia MN|Montenegro ME|Morocco MA|Mozambique MZ|Myanmar MM|Namibia NA|Nepal NP|
Netherlands NL|New Zealand NZ|Nicaragua NI|Niger NE|Nigeria NG|North Korea KP|
North Macedonia MK|Northern Cyprus northern-cyprus|Norway NO|Oman OM|Pakistan PK|Palestine PS|
Panama PA|Papua New Guinea PG|Paraguay PY|Peru PE|Philippines PH|Poland PL|Portugal PT|
Qatar QA|Romania RO|Russia RU|Rwanda RW|Saint Kitts and Nevis KN|Saint Vincent VC|
Saudi Arabia SA|Senegal SN|Serbia RS|Seychelles SC|Sierra Leone SL|Singapore SG|Slovakia SK|
Slovenia SI|Solomon Islands SB|Somalia SO|South Africa ZA|South Korea KR|South Sudan SS|
Spain ES|Sri Lanka LK|Sudan SD|Suriname SR|Sweden SE|Switzerland CH|Syria SY|Taiwan TW|
Tajikistan TJ|Tanzania TZ|Thailand TH|Timor-Leste TL|Togo TG|Tonga TO|Trinidad and Tobago TT|
Tunisia TN|Turkiye TR|Turkmenistan TM|Uganda UG|Ukraine UA|United Arab Emirates AE|
United Kingdom GB|United States US|Uruguay UY|Uzbekistan UZ|Vanuatu VU|Venezuela VE|
Viet Nam VN|Western Sahara EH|Yemen YE|Zambia ZM|Zimbabwe ZW|eSwatini SZ
"""
_CODES: dict[str, str] = {
    name: code
    for name, code in (
        item.strip().rsplit(" ", 1) for item in _ISO.replace("\n", "").split("|") if item.strip()
    )
}


def iso_code(name: str) -> str:
    """A jurisdiction name for a SIPRI recipient: its ISO code where it has one, else a
    name made of its letters and digits (non-state groups, organisations).

    >>> iso_code("Poland"), iso_code("Soviet Union"), iso_code("Hezbollah (Lebanon)*")
    ('PL', 'SU', 'hezbollah-lebanon')
    """
    code = _CODES.get(name) or HISTORICAL.get(name)
    if code:
        return code
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unknown"
