def test_smoke(make_staff, make_case, console):
    me = make_staff("wanjiru", "caseworker", phone="+254700111001", areas=["001"])
    ref = make_case(assigned_to=me)
    b = console()
    b.sign_in("wanjiru")
    r = b.get("/staff/cases")
    assert r.status_code == 200, r.get_data(as_text=True)
    page = r.get_data(as_text=True)
    assert ref[:3] in page
    r = b.get(f"/staff/cases/{ref}")
    assert r.status_code == 200, r.get_data(as_text=True)
    r = b.submit(f"/staff/cases/{ref}/acknowledge", {}, page=f"/staff/cases/{ref}")
    assert r.status_code == 302, r.get_data(as_text=True)
    r = b.submit(
        f"/staff/cases/{ref}/note", {"note": "Called the school"}, page=f"/staff/cases/{ref}"
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    r = b.get(f"/staff/cases/{ref}")
    print(r.get_data(as_text=True))
    assert "Called the school" in r.get_data(as_text=True)
    r = b.submit(f"/staff/cases/{ref}/reveal", {}, page=f"/staff/cases/{ref}")
    assert "+254712345321" in r.get_data(as_text=True)
    r = b.submit(
        f"/staff/cases/{ref}/close", {"closure_reason": "resolved"}, page=f"/staff/cases/{ref}"
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    r = b.submit(
        f"/staff/cases/{ref}/close", {"closure_reason": "resolved"}, page=f"/staff/cases/{ref}"
    )
    assert r.status_code == 409, r.get_data(as_text=True)
