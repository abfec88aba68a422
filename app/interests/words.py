"""The register's words for an interest's kind and holder, as every page says them."""

CATEGORY_WORDS = {
    "directorship": "Directorship of a company",
    "shareholding": "Shares in a company",
    "employment": "Employment or paid work",
    "partnership": "Partnership in a firm",
    "trusteeship": "Trustee of a charity or public body",
    "governance_role": "Governor or trustee of another school or trust",
    "contract": "Contract with, or supplier to, the trust",
    "land_property": "Land or property",
    "membership": "Membership of a professional body, party or union",
    "relationship": "Close relationship with staff, trustees, governors or parents",
    "other": "Something else",
}
# Whose interest, said to the declarant themselves ("Mine") and about someone else ("Their own").
HOLDER_WORDS = {
    "self": "Mine",
    "spouse_partner": "My spouse or partner's",
    "family_member": "A family member's",
    "close_associate": "A close associate's",
}
WHOSE = {
    "self": "Their own",
    "spouse_partner": "Their spouse or partner's",
    "family_member": "A family member's",
    "close_associate": "A close associate's",
}
