"""The Flask extensions, created unbound and initialised in create_app."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after the commit at the end of a request or job. Tenancy gives the session its
# class (``tenancy.init_database``): the platform path's transactions run as the platform database role.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
htmx = Htmx()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# The declarative base models inherit from; typed as Base so mypy understands the models.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
