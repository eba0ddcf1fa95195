"""The console's first page after signing in: what the account's role can open."""

from __future__ import annotations

from flask import Blueprint, render_template

from gateway.web.console.pages import Page

bp = Blueprint("home", __name__)
PAGE = Page(bp)


@bp.get("/")
def index() -> str:
    return render_template("console/home.html")
