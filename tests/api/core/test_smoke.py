async def test_a_new_member_creates_a_persona_and_lists_it(api):
    member = api.as_(await api.sign_up("alice"))

    created = await member.data(
        """mutation { createPersona(input: {name: "Ada", systemPrompt: "Be kind."}) {
             persona { id name aiSettings { model } } errors { code message field } } }"""
    )
    listed = await member.data("{ personas { totalCount edges { node { name } } } }")

    assert created["createPersona"]["errors"] == []
    assert listed["personas"]["totalCount"] == 1
    assert listed["personas"]["edges"][0]["node"]["name"] == "Ada"
