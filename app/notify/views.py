"""The family's inbox and push channels; staff's view of deliveries that failed."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.identity.auth import BEARER, current_principal, login_required
from app.notify import service
from schemas.cases import MessageSchema
from schemas.notify import (
    ConsentRequestSchema,
    DeliveryQuerySchema,
    DeviceRequestSchema,
    DeviceSchema,
    StaffDeliverySchema,
    SubscriptionSchema,
)

blp = Blueprint("messages", __name__, url_prefix="/api/v1", description="我的消息")


@blp.route("/me/messages")
class Messages(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, MessageSchema(many=True))
    @login_required(kinds=("family",))
    def get(self):
        """站内消息，最新的在前"""
        return service.list_messages(user_id=current_principal().subject)


@blp.route("/me/messages/<int:message_id>/read")
class MessageRead(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, MessageSchema)
    @login_required(kinds=("family",))
    def post(self, message_id):
        """标记消息已读"""
        return service.mark_read(user_id=current_principal().subject, message_id=message_id)


@blp.route("/me/subscriptions")
class Subscriptions(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, SubscriptionSchema(many=True))
    @login_required(kinds=("family",))
    def get(self):
        """小程序订阅消息模板，以及我还剩几次一次性订阅"""
        return service.subscriptions(user_id=current_principal().subject)

    @blp.doc(security=BEARER)
    @blp.arguments(ConsentRequestSchema)
    @blp.response(201, SubscriptionSchema)
    @login_required(kinds=("family",))
    def post(self, body):
        """记录一次订阅授权：用户在 wx.requestSubscribeMessage 弹窗中同意某模板后调用，每次同意可收到一条消息。
        没有可用授权时，消息改用短信（及站内信）告知。"""
        return service.record_consent(user_id=current_principal().subject, template_id=body["template_id"]), 201


@blp.route("/me/devices")
class Devices(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(DeviceRequestSchema)
    @blp.response(201, DeviceSchema)
    @login_required(kinds=("family",))
    def post(self, body):
        """登记湘易办 App 的推送令牌：此后办理进度优先推送到 App"""
        return service.register_device(user_id=current_principal().subject, token=body["push_token"]), 201

    @blp.doc(security=BEARER)
    @blp.arguments(DeviceRequestSchema)
    @blp.response(204)
    @login_required(kinds=("family",))
    def delete(self, body):
        """不再向此设备推送（退出登录或卸载时）"""
        service.unregister_device(user_id=current_principal().subject, token=body["push_token"])


@blp.route("/notify/deliveries")
class Deliveries(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(DeliveryQuerySchema, location="query")
    @blp.response(200, StaffDeliverySchema(many=True))
    @login_required(kinds=("staff",))
    def get(self, query):
        """消息发送情况（工作人员）：默认列出发送失败的推送、订阅消息和短信，便于跟进（范围同可查看的申请）"""
        return service.deliveries_for_staff(principal=current_principal(), state=query["state"])


@blp.route("/notify/deliveries/<int:delivery_id>/retry")
class DeliveryRetry(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, StaffDeliverySchema)
    @login_required(kinds=("staff",))
    def post(self, delivery_id):
        """重发一条发送失败的消息（工作人员，排除原因后使用）"""
        return service.retry_delivery(delivery_id=delivery_id, principal=current_principal())
