"""The family's inbox."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.identity.auth import BEARER, current_principal, login_required
from app.notify import service
from schemas.cases import MessageSchema

blp = Blueprint("messages", __name__, url_prefix="/api/v1/me", description="我的消息")


@blp.route("/messages")
class Messages(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, MessageSchema(many=True))
    @login_required(kinds=("family",))
    def get(self):
        """站内消息，最新的在前"""
        return service.list_messages(user_id=current_principal().subject)


@blp.route("/messages/<int:message_id>/read")
class MessageRead(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, MessageSchema)
    @login_required(kinds=("family",))
    def post(self, message_id):
        """标记消息已读"""
        return service.mark_read(user_id=current_principal().subject, message_id=message_id)
